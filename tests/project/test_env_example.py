"""`.env.example` documents every environment variable the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"\benv(?:_bool|_int|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"")
LISTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", flags=re.MULTILINE)


def test_env_example_lists_every_variable_the_settings_read():
    read = {
        name
        for path in (ROOT / "project" / "settings").glob("*.py")
        for name in READ.findall(path.read_text())
    }

    listed = set(LISTED.findall((ROOT / ".env.example").read_text()))

    assert read, "found no env() calls; has the settings layout changed?"
    assert read - listed == set()
