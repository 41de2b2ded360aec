"""The PostgreSQL test database: commits that do not wait for the disk, flushes by DELETE."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from rest_framework.authtoken.models import Token

from apps.accounts.models import User
from apps.posts.models import Post
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL test-database settings"
)


@pytest.mark.django_db
def test_the_test_database_and_its_new_connections_commit_without_waiting_for_the_disk():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        [session] = cursor.fetchone()
        cursor.execute(
            "SELECT setconfig FROM pg_db_role_setting s "
            "JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = current_database() AND s.setrole = 0"
        )
        [database] = cursor.fetchone()

    assert session == "off"
    assert "synchronous_commit=off" in database


def test_a_flush_deletes_all_but_content_types_and_only_resetting_sequences_truncates():
    tables = ["accounts_user", "django_content_type", "auth_permission", "posts_post"]

    flush = connection.ops.sql_flush(no_style(), tables)
    resetting = connection.ops.sql_flush(no_style(), tables, reset_sequences=True)

    assert flush == [
        "SET CONSTRAINTS ALL DEFERRED;",
        'DELETE FROM "accounts_user";',
        'DELETE FROM "posts_post";',
    ]
    assert resetting[0].startswith("TRUNCATE")


@pytest.mark.django_db(transaction=True)
def test_the_flush_of_transactional_tests_empties_tables_that_reference_each_other():
    author = UserFactory()
    PostFactory.create_batch(2, author=author)
    Token.objects.create(user=author)
    permissions = Permission.objects.count()

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)

    assert (User.objects.count(), Post.objects.count(), Token.objects.count()) == (0, 0, 0)
    assert Permission.objects.count() == permissions > 0
