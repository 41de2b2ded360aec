"""The test setup keeps the rows data migrations made across the flushes of transactional
tests, whatever order the tests run in (pytest-xdist mixes them)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command


def groups() -> dict[str, set[str]]:
    return {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }


@pytest.mark.django_db
def test_a_flush_puts_back_the_groups_the_migrations_made_with_their_permissions():
    before = groups()

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)

    assert "limit_user" in before["Moderators"]
    assert groups() == before
