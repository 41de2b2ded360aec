"""Every wait on PostgreSQL is bounded: a held row lock gives a 503, not a hung request."""

import threading

import pytest
from django.db import connection, connections

from apps.notifications.models import Notification
from project.settings.env import database_settings
from tests.factories import NotificationFactory, UserFactory


def test_postgresql_connections_carry_a_lock_timeout_and_a_statement_timeout(monkeypatch):
    monkeypatch.setenv("DATABASE_LOCK_TIMEOUT_MS", "2500")
    monkeypatch.delenv("DATABASE_STATEMENT_TIMEOUT_MS", raising=False)

    options = database_settings("postgres://u@db.invalid:5432/r?options=-c%20search_path%3Dx")[
        "OPTIONS"
    ]

    assert options["options"] == "-c search_path=x -c lock_timeout=2500 -c statement_timeout=0"
    assert "options" not in database_settings("sqlite:///x.sqlite3").get("OPTIONS", {})


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_request_that_waits_on_a_held_row_lock_answers_503_and_writes_nothing(client_for):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and lock_timeout are PostgreSQL's")
    user = UserFactory()
    notification = NotificationFactory(recipient=user)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        # A transaction of another connection that keeps the row locked (a stuck writer).
        try:
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(
                    f"SELECT id FROM {Notification._meta.db_table} WHERE id = %s FOR UPDATE",
                    [notification.pk],
                )
                locked.set()
                release.wait(30)
                cursor.execute("ROLLBACK")
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        response = client_for(user).post(
            "/api/notifications/read-all/", {"up_to": notification.pk}, format="json"
        )
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert response.status_code == 503, response.content
    assert response.json() == {
        "detail": "The database is busy; try again shortly.",
        "code": "database_busy",
    }
    assert response["Retry-After"] == "1"
    notification.refresh_from_db()
    assert notification.read_at is None
