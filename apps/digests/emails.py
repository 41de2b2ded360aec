"""What a digest says: its entries (grouped as the inbox groups) and the email itself."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import Truncator

from apps.accounts.models import User
from apps.notifications.selectors import (
    notification_digest_rows,
    notification_group_list,
    notification_groups_expand,
)

from .tokens import unsubscribe_token

# Characters of a post or message an entry quotes.
PREVIEW_CHARS = 140
# How many names an entry spells out before "and N others" (as the inbox does).
NAMED = 2


@dataclass(frozen=True)
class DigestEntry:
    text: str
    url: str
    preview: str
    created_at: datetime


@dataclass(frozen=True)
class DigestContent:
    entries: list[DigestEntry]
    more: int
    through_id: int
    total: int


def people(names: list[str], total: int) -> str:
    """Names as the inbox spells them (notifications.js `people`): "pablo", "pablo and
    tito", "pablo, tito and 3 others"; `names` newest first, `total` people in all."""
    if not names:
        return "Someone" if total == 1 else f"{total} people"
    shown = names[: max(1, min(NAMED, len(names), total))]
    others = max(0, total - len(shown))
    if others == 0:
        return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    return f"{', '.join(shown)} and {'1 other' if others == 1 else f'{others} others'}"


def site_url(path: str) -> str:
    return f"{settings.RIPPLE_SITE_URL}{path}"


def _post_path(post: Any) -> str:
    post_id = post.get("id") if isinstance(post, dict) else None
    return f"/posts/{post_id}/" if isinstance(post_id, int) else "/inbox/"


def _excerpt(value: Any) -> str:
    return Truncator(value).chars(PREVIEW_CHARS) if isinstance(value, str) else ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def describe(group: dict[str, Any], *, user_id: int) -> tuple[str, str, str]:
    """(text, path, preview) of a grouped inbox entry, worded as the inbox words it."""
    latest = group["latest"]
    data = _object(latest.data)
    name = latest.actor.username
    count = group["count"]
    post = _object(data.get("post"))
    whose = "your post" if post.get("author_id") == user_id else "a post you replied to"
    who = people([actor["username"] for actor in group["actors"]], group["actor_count"])
    reply = _object(data.get("reply"))
    match latest.type:
        case "post_liked":
            return f"{who} liked {whose}", _post_path(post), _excerpt(post.get("excerpt"))
        case "post_replied":
            replies = f" ({count} replies)" if count > 1 else ""
            text = f"{who} replied to {whose}{replies}"
            return text, _post_path(post), _excerpt(reply.get("excerpt"))
        case "mentioned":
            where = "in a reply" if reply else "in a post"
            preview = reply.get("excerpt") or post.get("excerpt")
            return f"{name} mentioned you {where}", _post_path(post), _excerpt(preview)
        case "new_post":
            text = f"{name} posted {count} things" if count > 1 else f"{name} posted something"
            return text, _post_path(data), _excerpt(data.get("content"))
        case "friend_request":
            return f"{name} sent you a friend request", "/friends/", ""
        case "friend_accepted":
            return f"{name} accepted your friend request", "/friends/", ""
        case "new_message":
            username = _object(data.get("from_user")).get("username")
            path = f"/messages/{quote(username)}/" if isinstance(username, str) else "/messages/"
            many = (
                f"{name} sent you {count} messages" if count > 1 else f"{name} sent you a message"
            )
            return many, path, _excerpt(data.get("text"))
    return "New notification", "/inbox/", ""


def digest_content(
    *, user_id: int, after_id: int, created_before: datetime, types: list[str], limit: int
) -> DigestContent | None:
    """The digest as of now (a fresh read: what was read, done or retracted since the user
    was selected is not here), newest group first; None when there is nothing to tell."""
    if not types:
        return None
    rows = notification_digest_rows(
        user_id=user_id, after_id=after_id, created_before=created_before, types=types
    )
    # One more than the limit tells whether there are more without counting them all.
    entries = list(notification_group_list(rows=rows).order_by("-id")[: limit + 1])
    if not entries:
        return None
    # The newest entry is the newest row; rows stored after this read wait for the next
    # digest, so the members read below are pinned to it.
    through_id = entries[0].pk
    rows = rows.filter(id__lte=through_id)
    total = len(entries)
    if total > limit:
        total = notification_group_list(rows=rows).count()
    groups = notification_groups_expand(rows=rows, groups=entries[:limit])
    listed = []
    for group in groups:
        text, path, preview = describe(group, user_id=user_id)
        listed.append(DigestEntry(text, site_url(path), preview, group["latest"].created_at))
    return DigestContent(listed, max(0, total - len(listed)), through_id, total)


def unsubscribe_url(*, user_id: int) -> str:
    token = unsubscribe_token(user_id=user_id)
    return site_url(reverse("digests:unsubscribe", kwargs={"token": token}))


def digest_message(
    *, user: User, content: DigestContent, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    """The email: text and HTML parts, and RFC 8058 one-click unsubscribe headers."""
    unsubscribe = unsubscribe_url(user_id=user.pk)
    context = {
        "user": user,
        "content": content,
        "inbox_url": site_url("/inbox/"),
        "settings_url": site_url("/settings/notifications/"),
        "unsubscribe_url": unsubscribe,
    }
    count = content.total
    subject = f"Ripple: {count} {'thing' if count == 1 else 'things'} while you were away"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("digests/email/digest.txt", context),
        to=[user.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Mail systems keep automatic replies (vacation notices) away from this.
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("digests/email/digest.html", context), "text/html")
    return message
