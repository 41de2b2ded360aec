"""Web Push: notifications reach the browsers of users who have no Ripple tab connected.

- `keys`: the VAPID key pair and the per-origin token cache;
- `subscriptions`: storing and listing browsers' PushSubscriptions;
- `enqueue`: the one call each notification writer makes (`webpush_after_commit`,
  `webpush_retract_after_commit`): after commit, one task per writer call;
- `tasks`: the Celery tasks (project/celery.py), which split a large fan-out by id range;
- `delivery`: who gets a push, in a constant number of queries plus one presence lookup;
- `payload` and `sender`: RFC 8291 encryption, RFC 8292 VAPID, Topic, TTL, Urgency,
  retries, one HTTP session per worker process.
"""
