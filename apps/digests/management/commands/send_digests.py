"""Run one digest round in this process: the scheduler for deployments without a worker.

Run it every hour at minute 0 (cron: `0 * * * * cd /srv/ripple && .venv/bin/python manage.py
send_digests`); running it more often sends nothing twice.
"""

from typing import Any

from django.core.management.base import BaseCommand

from apps.digests.services import digests_send_round


class Command(BaseCommand):
    help = "Send the email digests due now (safe to run more than once an hour)."

    def handle(self, *args: Any, **options: Any) -> None:
        batches, sent = digests_send_round()
        self.stdout.write(f"{sent} digests sent in {batches} batches.")
