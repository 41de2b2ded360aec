"""Static file storage for production: hashed names for ES modules and their imports."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # Rewrite `import "./app.js"` inside modules to the hashed names too, so every module
    # can be cached forever, not only the entry module a page names.
    support_js_module_import_aggregation = True
