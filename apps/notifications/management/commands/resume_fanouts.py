"""`manage.py resume_fanouts`: finish the large fan-outs a stopped process left unfinished."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.notifications.services.fanout import post_fanout_continue
from apps.notifications.services.fanout_chunks import resume_all


class Command(BaseCommand):
    help = "Store the remaining chunks of every fan-out left unfinished."

    def handle(self, *args: Any, **options: Any) -> None:
        resumed = resume_all(step=post_fanout_continue)
        self.stdout.write(f"resumed {resumed} fan-out(s)")
