"""Realtime delivery: from a committed row to every open socket of its recipient.

Read in the order a push travels:

- `events`: every event, typed, with its channel-layer name and its wire frame (one table);
- `push`: `push_after_commit`, the one way services send events;
- `layer`: the Redis channel layer (bulk sends, bounded calls, a receive that outlives outages);
- `memberships`: group joins and leaves, batched per Redis shard and retried;
- `presence`: which users some worker holds a socket for (the push reads only theirs);
- `cursor`: exactly-once, in-order delivery for one connection, replaying gaps from the database;
- `registry`: the connections this worker process holds;
- `reconciler`: the per-worker loop that replays what a lost push missed;
- `consumer`: the WebSocket consumer, which wires the pieces above to a socket.

Services import `push` and `events` only.
"""
