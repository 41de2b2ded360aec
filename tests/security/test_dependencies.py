"""pip-audit over the pinned runtime requirements: no dependency with a known vulnerability.

pip-audit asks PyPI's JSON API (`/pypi/<name>/<version>/json`, its `vulnerabilities`
list) or, failing that, the OSV database (api.osv.dev). Where neither can be used (a
mirror without that API, no network), the audit cannot say anything and the test skips,
saying why, in CI too: a network outage must not fail the build. A reachable service
that reports a vulnerability fails it.
"""

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements" / "base.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s#;]+)")
PYPI = "https://pypi.org/pypi/{name}/{version}/json"
OSV = "https://api.osv.dev/v1/query"


def pins() -> list[tuple[str, str]]:
    return [
        (match.group(1), match.group(2))
        for line in REQUIREMENTS.read_text().splitlines()
        if (match := PIN.match(line.strip()))
    ]


def fetch_json(request: urllib.request.Request) -> tuple[object, str | None]:
    """The JSON body, or None and what went wrong."""
    url = request.full_url
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - fixed URL
            return json.load(response), None
    except urllib.error.HTTPError as error:
        return None, f"{url} answered HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return None, f"{url} is unreachable ({error})"
    except ValueError:
        return None, f"{url} did not answer JSON"


def usable_service() -> tuple[str | None, list[str]]:
    """The pip-audit service that works from here ("pypi" or "osv"), and why others don't."""
    name, version = pins()[0]
    pypi = urllib.request.Request(PYPI.format(name=name, version=version))  # noqa: S310
    body, pypi_problem = fetch_json(pypi)
    if isinstance(body, dict) and "vulnerabilities" in body:
        return "pypi", []
    pypi_problem = pypi_problem or "PyPI answered without a 'vulnerabilities' list"
    query = {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
    request = urllib.request.Request(  # noqa: S310 - a fixed https URL
        OSV, data=json.dumps(query).encode(), headers={"Content-Type": "application/json"}
    )
    # OSV answers {} for a version with no known vulnerability: any JSON object will do.
    body, osv_problem = fetch_json(request)
    if isinstance(body, dict):
        return "osv", [pypi_problem]
    return None, [pypi_problem, osv_problem or "OSV did not answer a JSON object"]


def test_every_runtime_requirement_is_pinned():
    lines = [
        line.split("#", 1)[0].strip()
        for line in REQUIREMENTS.read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]

    assert len(pins()) == len(lines), "pin every line of requirements/base.txt with =="


@pytest.mark.slow
def test_pinned_requirements_have_no_known_vulnerabilities():
    service, problems = usable_service()
    if service is None:
        pytest.skip("pip-audit cannot query a vulnerability service: " + "; ".join(problems))

    result = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-r", str(REQUIREMENTS), "--vulnerability-service"]
        + [service, "--progress-spinner", "off", "--format", "json", "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    report = json.loads(result.stdout or "{}")
    vulnerable = {
        f"{dep['name']}=={dep['version']}": [vuln["id"] for vuln in dep["vulns"]]
        for dep in report.get("dependencies", [])
        if dep.get("vulns")
    }
    assert vulnerable == {}, f"upgrade these pins: {vulnerable}"
    assert result.returncode == 0, result.stderr
