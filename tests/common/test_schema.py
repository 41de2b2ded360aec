"""The OpenAPI schema served at /api/schema/."""

import pytest
from drf_spectacular.generators import SchemaGenerator

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
