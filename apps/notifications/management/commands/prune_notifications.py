"""`manage.py prune_notifications`: delete notifications past their retention, in batches."""

from argparse import BooleanOptionalAction
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.notifications.retention import (
    DEFAULT_BATCH_SIZE,
    Cutoffs,
    PruneResult,
    notification_expired_counts,
    notifications_prune,
)


class ProgressBar:
    """A one-line `[#####.....] done/total` bar, redrawn in place on a terminal."""

    width = 30

    def __init__(self, total: int, write: Callable[[str], None]) -> None:
        self.total = total
        self.write = write

    def update(self, done: int) -> None:
        filled = self.width * done // self.total if self.total else self.width
        percent = 100 * done // self.total if self.total else 100
        bar = "#" * filled + "." * (self.width - filled)
        self.write(f"\r[{bar}] {done}/{self.total} ({percent}%)")

    def finish(self) -> None:
        self.write("\n")


class Command(BaseCommand):
    help = (
        "Delete read notifications older than RIPPLE_RETENTION_READ_DAYS and unread ones "
        "older than RIPPLE_RETENTION_UNREAD_DAYS, a batch at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--read-days", type=int, default=settings.RIPPLE_RETENTION_READ_DAYS)
        parser.add_argument(
            "--unread-days", type=int, default=settings.RIPPLE_RETENTION_UNREAD_DAYS
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted; delete nothing"
        )
        parser.add_argument(
            "--progress",
            action=BooleanOptionalAction,
            default=None,
            help="progress bar on stderr (default: only when stderr is a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["read_days"], options["unread_days"]) < 0:
            raise CommandError("--read-days and --unread-days cannot be negative.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoffs = Cutoffs.from_days(
            read_days=options["read_days"], unread_days=options["unread_days"]
        )
        expired = notification_expired_counts(cutoffs=cutoffs)
        if options["dry_run"]:
            self._report("Would delete", expired)
            return
        show_progress = options["progress"]
        if show_progress is None:
            show_progress = self.stderr.isatty()
        bar = ProgressBar(expired.total, self._write_stderr) if show_progress else None
        result = notifications_prune(
            cutoffs=cutoffs,
            batch_size=options["batch_size"],
            on_batch=(lambda so_far: bar.update(so_far.total)) if bar else None,
        )
        if bar:
            bar.finish()
        self._report("Deleted", result)

    def _write_stderr(self, text: str) -> None:
        # Unstyled (stderr is red by default) and without a newline, so the bar redraws.
        self.stderr.write(text, style_func=str, ending="")
        self.stderr.flush()

    def _report(self, verb: str, result: PruneResult) -> None:
        batches = f" in {result.batches} batches" if result.batches else ""
        self.stdout.write(
            f"{verb} {result.total} notifications ({result.read} read, "
            f"{result.unread} unread){batches}."
        )
