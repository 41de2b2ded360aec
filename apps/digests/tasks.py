"""The Celery tasks of a digest round (see project/celery.py for the beat schedule).

`digests_round` runs every hour at minute 0 on the beat scheduler: it chooses who is due
(a constant number of queries) and enqueues one `digests_send_batch` per batch of users,
never one task per user. A retried task, a second beat or `manage.py send_digests` run
beside it sends nothing twice: each digest is claimed once per (user, period).
"""

from project.celery import app

from .services import digest_send_batch, digests_due


@app.task(name="digests.round", ignore_result=True)
def digests_round() -> int:
    """Enqueue this hour's batches; returns how many."""
    batches = digests_due()
    for batch in batches:
        digests_send_batch.delay(batch.user_ids, batch.period)
    return len(batches)


@app.task(name="digests.send_batch", ignore_result=True)
def digests_send_batch(user_ids: list[int], period: str) -> int:
    """Send one batch's digests; returns how many went out."""
    return digest_send_batch(user_ids, period)
