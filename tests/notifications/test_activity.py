"""Likes, replies and mentions: who is notified, grouping, retraction, live counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.services import users_limit
from apps.notifications.models import Notification, NotificationPreference
from apps.notifications.serializers import NotificationSerializer
from apps.notifications.services import muted_user_create
from apps.notifications.services.activity import (
    MAX_MENTIONS,
    excerpt,
    mentioned_usernames,
)
from apps.posts.services import (
    post_create,
    post_delete,
    post_like,
    post_unlike,
    reply_create,
    reply_delete,
)
from tests.factories import BlockFactory, PostFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db

LIKED, REPLIED, MENTIONED = "post_liked", "post_replied", "mentioned"


def _author_with_friends(count: int, **author_fields):
    author = UserFactory(**author_fields)
    friends = UserFactory.create_batch(count)
    for friend in friends:
        make_friends(author, friend)
    return author, friends


def _rows(**filters):
    return Notification.objects.filter(**filters).order_by("id")


def _frames(pushes, user_id=None):
    return [
        event["frame"]
        for recipient, event in pushes
        if event["type"] == "notification.created" and user_id in (None, recipient)
    ]


def _events(pushes, kind):
    return [(recipient, event) for recipient, event in pushes if event["type"] == kind]


# --- Likes ------------------------------------------------------------------------------------


def test_a_friends_like_notifies_the_author_and_pushes_the_stored_item(
    pushes, django_capture_on_commit_callbacks
):
    author, (friend,) = _author_with_friends(1)
    post = PostFactory(author=author, content="First line\nsecond line")

    with django_capture_on_commit_callbacks(execute=True):
        post_like(post=post, user=friend)

    [row] = _rows(recipient=author)
    assert (row.type, row.actor_id, row.post_id, row.read_at) == (LIKED, friend.id, post.id, None)
    assert row.data == {"post": {"id": post.id, "author_id": author.id, "excerpt": "First line"}}
    assert row.group == {"key": f"l{post.id}", "count": 1}
    assert _frames(pushes) == [NotificationSerializer(row).data]
    assert not _rows(recipient=friend).exists()


def test_liking_your_own_post_notifies_nobody(pushes, django_capture_on_commit_callbacks):
    author, _ = _author_with_friends(2)
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=True):
        post_like(post=post, user=author)

    assert not Notification.objects.exists()
    assert _frames(pushes) == []


def test_likes_of_one_post_share_a_group_whose_count_is_exact_above_a_hundred(
    pushes, django_capture_on_commit_callbacks, client_for
):
    author, likers = _author_with_friends(120)
    post, other_post = PostFactory(author=author), PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=True):
        for liker in likers:
            post_like(post=post, user=liker)
        post_like(post=other_post, user=likers[0])

    rows = list(_rows(recipient=author, post=post))
    assert {row.group_key for row in rows} == {f"l{post.id}"}
    # Each row carries the size of its group when it was stored: 1, 2, ... 120.
    assert [row.group_count for row in rows] == list(range(1, 121))
    assert _frames(pushes)[119]["group"] == {"key": f"l{post.id}", "count": 120}
    page = client_for(author).get("/api/notifications/", {"grouped": "true"}).json()
    first, second = page["results"]
    assert (first["key"], first["count"], first["actor_count"]) == (f"l{other_post.id}", 1, 1)
    assert (second["key"], second["count"], second["unread_count"]) == (f"l{post.id}", 120, 120)
    assert second["actor_count"] == 120
    assert [actor["id"] for actor in second["actors"]] == [u.id for u in likers[::-1][:3]]
    assert second["latest"]["id"] == rows[-1].id
    assert second["ids"] == [row.id for row in rows]


def test_a_new_like_of_a_read_group_brings_it_back_unread(
    django_capture_on_commit_callbacks, client_for, pushes
):
    author, (pablo, tito) = _author_with_friends(2)
    post = PostFactory(author=author)
    client = client_for(author)
    post_like(post=post, user=pablo)
    client.post("/api/notifications/read-all/", {"group": f"l{post.id}"}, format="json")
    assert client.get("/api/notifications/unread-count/", {"grouped": "true"}).json() == {
        "count": 0
    }

    post_like(post=post, user=tito)

    assert client.get("/api/notifications/unread-count/", {"grouped": "true"}).json() == {
        "count": 1
    }
    [group] = client.get("/api/notifications/", {"grouped": "true"}).json()["results"]
    assert (group["count"], group["unread_count"]) == (2, 1)
    assert [actor["username"] for actor in group["actors"]] == [tito.username, pablo.username]
    [unread] = client.get("/api/notifications/", {"grouped": "true", "unread": "true"}).json()[
        "results"
    ]
    assert (unread["key"], unread["count"]) == (f"l{post.id}", 1)


def test_a_like_after_its_group_was_done_counts_only_what_is_still_in_the_inbox(
    django_capture_on_commit_callbacks, client_for, pushes
):
    author, (pablo, tito, quiet) = _author_with_friends(3)
    post = PostFactory(author=author)
    client = client_for(author)
    post_like(post=post, user=pablo)
    post_like(post=post, user=tito)
    done = client.post(
        "/api/notifications/done-all/", {"up_to": 2**31, "group": f"l{post.id}"}, format="json"
    )
    assert done.json() == {"updated": 2}

    with django_capture_on_commit_callbacks(execute=True):
        post_like(post=post, user=quiet)

    [group] = client.get("/api/notifications/", {"grouped": "true"}).json()["results"]
    [frame] = _frames(pushes, author.id)
    assert group["count"] == 1
    assert frame["group"] == {"key": f"l{post.id}", "count": 1}


def test_unliking_retracts_that_like_and_pushes_removal_and_unread_count(
    pushes, django_capture_on_commit_callbacks, client_for
):
    author, (pablo, tito) = _author_with_friends(2)
    post = PostFactory(author=author)
    post_like(post=post, user=pablo)
    post_like(post=post, user=tito)
    pablos = _rows(recipient=author, actor=pablo).get()

    with django_capture_on_commit_callbacks(execute=True):
        post_unlike(post=post, user=pablo)

    assert list(_rows(recipient=author).values_list("actor_id", flat=True)) == [tito.id]
    assert (author.id, {"type": "notification.removed", "ids": [pablos.id]}) in pushes
    assert (author.id, {"type": "unread.count", "count": 1}) in pushes
    [group] = client_for(author).get("/api/notifications/", {"grouped": "true"}).json()["results"]
    assert (group["count"], group["actor_count"]) == (1, 1)


def test_unliking_the_newest_like_regroups_behind_newer_entries(client_for, pushes):
    author, (pablo, tito, mia) = _author_with_friends(3)
    post, other_post = PostFactory(author=author), PostFactory(author=author)
    post_like(post=post, user=pablo)
    post_like(post=other_post, user=mia)
    post_like(post=post, user=tito)
    client = client_for(author)
    before = client.get("/api/notifications/", {"grouped": "true"}).json()["results"]
    assert [entry["key"] for entry in before] == [f"l{post.id}", f"l{other_post.id}"]

    post_unlike(post=post, user=tito)

    after = client.get("/api/notifications/", {"grouped": "true"}).json()["results"]
    assert [entry["key"] for entry in after] == [f"l{other_post.id}", f"l{post.id}"]
    assert after[1]["latest"]["actor"]["id"] == pablo.id
    assert (after[1]["count"], [a["id"] for a in after[1]["actors"]]) == (1, [pablo.id])


def test_a_like_runs_the_same_statements_whatever_the_authors_friends(
    django_capture_on_commit_callbacks, pushes
):
    counts = []
    for size in (2, 40):
        author, friends = _author_with_friends(size)
        post = PostFactory(author=author)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            post_like(post=post, user=friends[0])
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Replies ----------------------------------------------------------------------------------


def test_a_reply_notifies_the_author_and_earlier_repliers_but_never_the_replier(
    pushes, django_capture_on_commit_callbacks
):
    author, (pablo, tito, quiet, gone) = _author_with_friends(4)
    post = PostFactory(author=author)
    reply_create(post=post, author=pablo, content="first")
    reply_create(post=post, author=gone, content="then left")
    Notification.objects.all().delete()
    # `gone` is no longer a friend of the author, so can no longer see the post.
    from apps.friends.models import Friendship

    Friendship.objects.filter(user__in=[author, gone], friend__in=[author, gone]).delete()

    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_create(post=post, author=tito, content="Me too\nmore")

    rows = _rows(type=REPLIED)
    assert {row.recipient_id for row in rows} == {author.id, pablo.id}
    assert {row.group_key for row in rows} == {f"r{post.id}"}
    assert rows[0].data == {
        "post": {"id": post.id, "author_id": author.id, "excerpt": post.content},
        "reply": {"id": reply.id, "excerpt": "Me too"},
    }
    assert {frame["id"] for frame in _frames(pushes)} == {row.id for row in rows}
    assert not _rows(recipient__in=[tito, quiet, gone]).exists()


def test_replying_to_your_own_post_notifies_only_the_other_repliers(
    django_capture_on_commit_callbacks,
):
    author, (pablo,) = _author_with_friends(1)
    post = PostFactory(author=author)
    reply_create(post=post, author=pablo, content="hi")

    reply_create(post=post, author=author, content="thanks")

    assert list(_rows(type=REPLIED).values_list("recipient_id", flat=True)) == [author.id, pablo.id]


def test_a_reply_to_many_participants_runs_a_constant_number_of_statements(
    django_capture_on_commit_callbacks, pushes
):
    counts = []
    for participants in (3, 40):
        author, friends = _author_with_friends(participants + 1)
        replier, *others = friends
        post = PostFactory(author=author)
        for other in others:
            reply_create(post=post, author=other, content="me")
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            reply_create(post=post, author=replier, content="and me")
        assert _rows(type=REPLIED, actor=replier).count() == participants + 1
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_deleting_a_reply_seen_by_many_runs_a_constant_number_of_statements(
    django_capture_on_commit_callbacks, pushes
):
    counts = []
    for participants in (3, 40):
        author, friends = _author_with_friends(participants + 1)
        replier, *others = friends
        post = PostFactory(author=author)
        for other in others:
            reply_create(post=post, author=other, content="me")
        reply = reply_create(post=post, author=replier, content="and me")
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            reply_delete(reply=reply, user=replier)
        assert not _rows(type=REPLIED, actor=replier).exists()
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_deleting_a_reply_retracts_what_it_caused_and_nothing_else(
    pushes, django_capture_on_commit_callbacks
):
    author, (pablo, tito) = _author_with_friends(2)
    post = PostFactory(author=author)
    kept = reply_create(post=post, author=pablo, content="kept")
    gone = reply_create(post=post, author=tito, content=f"bye @{author.username}")
    caused = list(_rows(data__reply__id=gone.id).values_list("id", flat=True))
    assert len(caused) == 2  # pablo's reply notification and the author's mention

    with django_capture_on_commit_callbacks(execute=True):
        reply_delete(reply=gone, user=tito)

    assert not _rows(id__in=caused).exists()
    assert list(_rows().values_list("data__reply__id", flat=True)) == [kept.id]
    removed = sorted(
        i for _, event in _events(pushes, "notification.removed") for i in event["ids"]
    )
    assert removed == sorted(caused)
    post.refresh_from_db()
    assert post.reply_count == 1


def test_deleting_a_post_retracts_its_likes_replies_and_mentions(
    pushes, django_capture_on_commit_callbacks
):
    author, (pablo, tito) = _author_with_friends(2)
    post = post_create(author=author, content=f"hi @{tito.username}", type="thoughts")
    post_like(post=post, user=pablo)
    reply_create(post=post, author=pablo, content="reply")
    assert set(_rows(post=post).values_list("type", flat=True)) == {
        "new_post",
        LIKED,
        REPLIED,
        MENTIONED,
    }

    with django_capture_on_commit_callbacks(execute=True):
        post_delete(post=post, user=author)

    assert not _rows(post=post).exists()
    assert {user for user, _ in _events(pushes, "notification.removed")} == {
        author.id,
        pablo.id,
        tito.id,
    }


# --- Mentions ---------------------------------------------------------------------------------


def test_a_post_mentioning_someone_who_muted_its_author_notifies_nobody():
    author, (muting, listening) = _author_with_friends(2)
    muted_user_create(user=muting, muted=author)

    post_create(
        author=author,
        content=f"@{muting.username} @{listening.username}",
        type="thoughts",
    )

    assert list(_rows(type=MENTIONED).values_list("recipient_id", flat=True)) == [listening.id]


def test_a_limited_accounts_reply_notifies_only_its_own_friends():
    author, (limited, stranger, mentioned, friend) = _author_with_friends(4)
    make_friends(limited, friend)
    post = PostFactory(author=author)
    reply_create(post=post, author=stranger, content="first")
    reply_create(post=post, author=friend, content="second")
    users_limit(user_ids=[limited.id], reason="spam")

    reply_create(post=post, author=limited, content=f"@{mentioned.username} buy now")

    assert {row.recipient_id for row in _rows(actor=limited)} == {author.id, friend.id}


def test_mentions_notify_those_who_can_see_the_post_only(
    pushes, django_capture_on_commit_callbacks
):
    author, (friend,) = _author_with_friends(1)
    stranger = UserFactory()
    text = f"@{friend.username}, @{stranger.username}, @{author.username} and @nobody-here."

    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, content=text, type="thoughts")

    [row] = _rows(type=MENTIONED)
    assert (row.recipient_id, row.actor_id, row.post_id) == (friend.id, author.id, post.id)
    assert row.data == {
        "post": {"id": post.id, "author_id": author.id, "excerpt": text},
        "reply": None,
    }
    assert row.group["key"] == f"n{row.id}"
    assert row.id in {frame["id"] for frame in _frames(pushes, friend.id)}


def test_the_profile_owner_is_mentioned_and_mentions_past_the_twentieth_notify_nobody(
    django_capture_on_commit_callbacks,
):
    author, friends = _author_with_friends(MAX_MENTIONS + 1)
    owner = friends[0]
    text = " ".join(f"@{friend.username}" for friend in friends)

    post = post_create(author=author, content=text, type="thoughts", target_profile=owner)

    mentioned = set(_rows(type=MENTIONED).values_list("recipient_id", flat=True))
    assert mentioned == {friend.id for friend in friends[:MAX_MENTIONS]}
    assert post.target_profile_id in mentioned


def test_a_reply_mentioning_the_author_notifies_the_mention_only(
    django_capture_on_commit_callbacks,
):
    author, (pablo,) = _author_with_friends(1)
    post = PostFactory(author=author)

    reply_create(post=post, author=pablo, content=f"look @{author.username}")

    assert list(_rows(recipient=author).values_list("type", flat=True)) == [MENTIONED]


def test_mentioned_usernames_reads_at_most_twenty_distinct_names_in_order():
    text = "@a @b mail@example.com @a (@c) @d. " + " ".join(f"@u{i}" for i in range(30))

    names = mentioned_usernames(text)

    assert names[:4] == ["a", "b", "c", "d"]
    assert len(names) == MAX_MENTIONS
    assert "example.com" not in names


def test_excerpt_is_the_first_non_blank_line_cut_to_length():
    assert excerpt("\n  \n  hello  \nworld") == "hello"
    assert excerpt("x" * 500) == "x" * 139 + "…"


# --- Preferences ------------------------------------------------------------------------------


def _act(kind, author, friend, post):
    if kind == LIKED:
        post_like(post=post, user=friend)
    elif kind == REPLIED:
        reply_create(post=post, author=friend, content="hi")
    else:
        reply_create(post=PostFactory(author=friend), author=friend, content=f"@{author.username}")


@pytest.mark.parametrize("kind", [LIKED, REPLIED, MENTIONED])
@pytest.mark.parametrize(
    ("inbox", "realtime", "stored", "pushed"),
    [(True, True, 1, 1), (True, False, 1, 0), (False, True, 0, 0)],
)
def test_each_type_follows_its_inbox_and_realtime_switches(
    kind, inbox, realtime, stored, pushed, pushes, django_capture_on_commit_callbacks
):
    author, (friend,) = _author_with_friends(1)
    NotificationPreference.objects.create(
        user=author, **{f"{kind}_inbox": inbox, f"{kind}_realtime": realtime}
    )
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=True):
        _act(kind, author, friend, post)

    assert _rows(recipient=author, type=kind).count() == stored
    assert len(_frames(pushes, author.id)) == pushed


# --- Live counts ------------------------------------------------------------------------------


def test_likes_and_replies_push_the_counts_to_the_author_and_friends_unstored(
    pushes, django_capture_on_commit_callbacks
):
    author, (pablo, tito) = _author_with_friends(2)
    stranger = UserFactory()
    make_friends(pablo, stranger)  # a friend of a friend cannot see the post
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=True):
        post_like(post=post, user=pablo)
        reply_create(post=post, author=tito, content="hi")
        post_unlike(post=post, user=pablo)

    counts = _events(pushes, "post.counts")
    assert {user for user, _ in counts} == {author.id, pablo.id, tito.id}
    # Read after commit: each announcement carries the committed counts.
    assert [event for user, event in counts if user == tito.id] == [
        {"type": "post.counts", "post_id": post.id, "likes_count": 0, "reply_count": 1}
    ] * 3
    assert Notification.objects.filter(recipient=tito).count() == 0


def test_counts_of_a_removed_post_are_not_pushed(pushes, django_capture_on_commit_callbacks):
    author, (pablo,) = _author_with_friends(1)
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=True):
        post_like(post=post, user=pablo)
        post_delete(post=post, user=author)

    assert _events(pushes, "post.counts") == []


def test_unfriending_retracts_reply_and_mention_notifications_about_each_others_posts(
    pushes, django_capture_on_commit_callbacks
):
    from apps.friends.services import friendship_delete

    author, (pablo, tito) = _author_with_friends(2)
    make_friends(pablo, tito)
    post = PostFactory(author=author)
    reply_create(post=post, author=pablo, content="first")
    reply_create(post=post, author=tito, content=f"@{pablo.username} hi")  # pablo: mention
    reply_create(post=post, author=author, content="thanks")  # pablo: reply
    own = PostFactory(author=pablo)
    post_like(post=own, user=author)
    reply_create(post=own, author=tito, content="nice")
    about_authors_post = list(_rows(recipient=pablo, post=post).values_list("id", flat=True))
    assert len(about_authors_post) == 2

    with django_capture_on_commit_callbacks(execute=True):
        friendship_delete(user=author, friend_id=pablo.id)

    assert not _rows(id__in=about_authors_post).exists()
    # What pablo holds about his own post stays, the author's like included.
    assert set(_rows(recipient=pablo).values_list("type", flat=True)) == {LIKED, REPLIED}
    assert (pablo.id, {"type": "notification.removed", "ids": sorted(about_authors_post)}) in pushes


def test_no_reply_or_mention_crosses_a_block_between_the_replier_and_a_friend_of_the_author(
    django_capture_on_commit_callbacks,
):
    # Participants and mentioned friends of the author need not be friends of the replier,
    # so the friendship rows alone do not keep a block out.
    author, (replier, blocker, blocked_by_replier) = _author_with_friends(3)
    post = PostFactory(author=author)
    reply_create(post=post, author=blocker, content="first")
    reply_create(post=post, author=blocked_by_replier, content="second")
    BlockFactory(blocker=blocker, blocked=replier)
    BlockFactory(blocker=replier, blocked=blocked_by_replier)
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        reply_create(
            post=post,
            author=replier,
            content=f"@{blocker.username} @{blocked_by_replier.username} @{author.username}",
        )

    assert list(_rows().values_list("recipient_id", "type")) == [(author.id, MENTIONED)]


def test_a_reply_locks_its_mentioned_and_participants_in_one_statement_in_id_order(
    django_capture_on_commit_callbacks,
):
    # Two lock statements (the mentioned, then the participants) could take a higher id
    # before a lower one and deadlock with any writer that locks both in id order.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes no row locks")
    author, (earlier, replier, later) = _author_with_friends(3)
    first, second = sorted([earlier, later], key=lambda user: user.id)
    post = PostFactory(author=author)
    reply_create(post=post, author=first, content="me first")

    with CaptureQueriesContext(connection) as queries:
        reply_create(post=post, author=replier, content=f"@{second.username} look")

    # The one statement that creates and locks inbox rows (delivery.recipients_lock).
    locks = [query["sql"] for query in queries if "INTO notifications_inbox" in query["sql"]]
    assert len(locks) == 1
    assert {row.recipient_id for row in _rows(actor=replier)} == {author.id, first.id, second.id}


def test_a_like_push_names_the_recipients_previous_notification(
    pushes, django_capture_on_commit_callbacks
):
    author, (pablo, tito) = _author_with_friends(2)
    post = PostFactory(author=author)
    post_like(post=post, user=pablo)
    [earlier] = _rows(recipient=author)

    with django_capture_on_commit_callbacks(execute=True):
        post_like(post=post, user=tito)
    with django_capture_on_commit_callbacks(execute=True):
        first = PostFactory(author=pablo)
        make_friends(pablo, tito)
        post_like(post=first, user=tito)

    [(_, to_author)] = _events(pushes, "notification.created")[:1]
    [(_, to_pablo)] = _events(pushes, "notification.created")[1:]
    assert to_author["prev_id"] == earlier.id
    assert to_pablo["prev_id"] is None
