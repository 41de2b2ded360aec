"""The page views: login required, each page renders its template and its one entry module."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    ("/", "ripple/feed.js"),
    ("/posts/7/", "ripple/post.js"),
    ("/inbox/", "ripple/inbox.js"),
    ("/settings/notifications/", "ripple/settings.js"),
    ("/friends/", "ripple/friends.js"),
]


@pytest.mark.parametrize(("path", "module"), PAGES)
def test_page_anonymous_redirects_to_login_with_next(client, path, module):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize(("path", "module"), PAGES)
def test_page_logged_in_renders_with_one_entry_module_and_the_live_regions(
    client, user, path, module
):
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('type="module"') == 1
    assert f'src="/static/{module}"' in html
    assert f'data-user-id="{user.pk}"' in html
    assert 'id="toasts"' in html
    assert 'aria-live="polite"' in html
    assert 'id="unread-badge"' in html


def test_settings_page_lists_every_notification_type_and_post_type(client, user):
    client.force_login(user)

    html = client.get("/settings/notifications/").content.decode()

    for kind in ["new_post", "friend_request", "friend_accepted", "new_message"]:
        assert f'name="types.{kind}.inbox"' in html
        assert f'name="types.{kind}.realtime"' in html
    for post_type in ["thoughts", "milestone", "question"]:
        assert f'name="muted_post_types" value="{post_type}"' in html


def test_login_page_has_no_socket_module(client):
    html = client.get("/login/").content.decode()

    assert 'type="module"' not in html
    assert 'id="toasts"' not in html
