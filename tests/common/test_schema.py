"""The OpenAPI schema served at /api/schema/."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from apps.common.pagination import NewestFirstCursorPagination

CREATE_PATHS = [
    "/api/auth/register/",
    "/api/auth/token/",
    "/api/friend-requests/",
    "/api/posts/",
    "/api/posts/{post_id}/replies/",
    "/api/messages/",
]


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _request_ref(schema: dict, path: str) -> str:
    return schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "$ref"
    ]


def test_schema_request_bodies_each_have_their_own_component(schema):
    refs = [_request_ref(schema, path) for path in CREATE_PATHS]

    assert len(set(refs)) == len(refs)


def test_schema_post_create_body_lists_post_fields(schema):
    name = _request_ref(schema, "/api/posts/").rsplit("/", 1)[-1]

    assert set(schema["components"]["schemas"][name]["properties"]) == {
        "content",
        "type",
        "target_profile",
    }


def _paged_list_paths() -> set[str]:
    """Every GET route whose view declares the shared cursor paginator."""
    paths = set()
    for path, view in _routes(get_resolver()):
        paginator = getattr(view, "pagination_class", None)
        if isinstance(paginator, type) and issubclass(paginator, NewestFirstCursorPagination):
            paths.add(path)
    return paths


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, type]]:
    routes = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern, route)
        elif isinstance(pattern, URLPattern) and (view := getattr(pattern.callback, "cls", None)):
            routes.append(("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), view))
    return routes


def test_schema_documents_every_cursor_paged_list_as_a_page(schema):
    paths = _paged_list_paths()
    assert len(paths) == 9

    for path in paths:
        operation = schema["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert {"cursor", "page_size"} <= names, path
        assert set(page["properties"]) == {"next", "previous", "results"}, path
        assert page["properties"]["results"]["type"] == "array", path
