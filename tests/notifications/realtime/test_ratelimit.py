from apps.notifications.realtime.ratelimit import TokenBucket


def test_bucket_allows_a_burst_then_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])

    burst = [bucket.allow() for _ in range(4)]
    now[0] += 0.5  # one token back at 2 a second
    after_refill = [bucket.allow(), bucket.allow()]

    assert burst == [True, True, True, False]
    assert after_refill == [True, False]


def test_bucket_never_holds_more_than_its_burst():
    now = [0.0]
    bucket = TokenBucket(rate=100, burst=2, clock=lambda: now[0])
    now[0] += 60

    assert [bucket.allow() for _ in range(3)] == [True, True, False]
