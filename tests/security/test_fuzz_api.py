"""Schema-driven fuzzing of the REST API with schemathesis, in process and bounded in time.

Every operation of /api/schema/ gets generated requests, valid and invalid, sent as a
signed-in user (token header) through Django's own request handler. Every response must
be a non-5xx that matches the schema documented for its status code.
"""

import os
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import UserFactory, make_friends

pytestmark = pytest.mark.django_db

# 31 operations: about 15 s in all, comfortably under a minute in CI. Raise it for a
# longer hunt: RIPPLE_FUZZ_EXAMPLES=500 pytest tests/security/test_fuzz_api.py
EXAMPLES_PER_OPERATION = int(os.environ.get("RIPPLE_FUZZ_EXAMPLES", "25"))

# Loaded at collection: generating the schema touches no database.
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())


def _operations() -> dict[str, Any]:
    operations = {}
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation the schema describes wrongly: fix the schema
        operations[result.ok().label] = result.ok()
    return operations


OPERATIONS = _operations()

HUGE = 10**25


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Django's handler closes the database connection after each request, which would end
    the test's transaction; its test client does the same as this (see ClientHandler)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token() -> str:
    """A user with a friend, so feeds, friend lists and messages have something in them."""
    user, friend = UserFactory(), UserFactory()
    make_friends(user, friend)
    return Token.objects.create(user=user).key


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) >= 31


@pytest.mark.slow  # generated requests: 1-5 s an operation, a minute for them all
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_never_fails_and_matches_its_schema(label, token):
    operation = OPERATIONS[label]
    checks = [not_a_server_error, response_schema_conformance]
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=5000,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases)
    def fuzz(case: schemathesis.Case) -> None:
        # Each example in a savepoint of its own, rolled back: examples stay independent, and
        # a database error (a known one, on PostgreSQL) does not spoil the ones after it.
        savepoint = transaction.savepoint()
        try:
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=checks)
        finally:
            transaction.savepoint_rollback(savepoint)
            transaction.set_rollback(False)

    fuzz()


def test_grouped_inbox_matches_its_schema(token):
    case = OPERATIONS["GET /api/notifications/"].Case(query={"grouped": "true"})

    case.call_and_validate(
        headers={"Authorization": f"Token {token}"}, checks=[response_schema_conformance]
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        # Ids beyond 64 bits once overflowed SQLite; they cannot name a row.
        ("delete", f"/api/muted-users/{HUGE}/", 404),
        ("get", f"/api/messages/?with={HUGE}", 400),
        ("get", f"/api/notifications/?actor={HUGE}", 400),
        ("get", f"/api/notifications/?after={HUGE}", 400),
        # PostgreSQL refuses UTC offsets beyond ±15:59, which Python accepts.
        ("get", "/api/notifications/?created_before=2026-01-01T00:00:00%2B23:50", 200),
    ],
)
def test_inputs_that_once_caused_server_errors_get_proper_answers(method, path, status, token):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = getattr(client, method)(path)

    assert response.status_code == status
