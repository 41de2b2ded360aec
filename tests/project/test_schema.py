import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


def _api_routes(patterns, prefix="") -> set[str]:
    routes = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes |= _api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            routes.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return routes - {"/api/schema/", "/api/docs/"}


def test_schema_is_valid_openapi_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


def test_schema_covers_every_api_endpoint_with_request_and_response_shapes(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]

    assert set(paths) == _api_routes(get_resolver().url_patterns)
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation["responses"], f"{method} {path} has no response shape"
            if method in {"post", "patch", "put"} and not path.endswith(
                ("/read/", "/unread/", "/done/", "/undone/", "/accept/", "/decline/", "/like/")
            ):
                assert "requestBody" in operation, f"{method} {path} has no request shape"


def test_schema_and_docs_are_served_to_anonymous_clients(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
