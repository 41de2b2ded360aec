"""apps/common is shared by every app, so it may import none of them."""

import ast
from pathlib import Path

COMMON = Path(__file__).resolve().parents[2] / "apps" / "common"


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_apps_common_imports_no_other_app():
    reach_ins = {
        f"{path.relative_to(COMMON)}: {module}"
        for path in COMMON.rglob("*.py")
        for module in _imported_modules(path)
        if module.startswith("apps.") and not module.startswith("apps.common")
    }

    assert reach_ins == set()
