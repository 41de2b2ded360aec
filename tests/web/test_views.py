"""The page views: login required, each page renders its template and its one entry module."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    ("/", "ripple/feed.js"),
    ("/posts/7/", "ripple/post.js"),
    ("/inbox/", "ripple/inbox.js"),
    ("/settings/notifications/", "ripple/settings.js"),
    ("/friends/", "ripple/friends.js"),
    ("/messages/", "ripple/messages.js"),
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


def test_conversation_page_for_an_unknown_user_or_oneself_is_404(client, user):
    client.force_login(user)

    assert client.get("/messages/nobody-by-this-name/").status_code == 404
    assert client.get(f"/messages/{user.username}/").status_code == 404


def test_signup_page_lists_the_password_rules_and_creates_the_account(client):
    html = client.get("/signup/").content.decode()
    assert 'id="password-rules"' in html
    assert "at least 8 characters" in html

    response = client.post("/signup/", {"username": "newcomer", "password": "long and unusual"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_signup_with_a_taken_username_says_so_next_to_the_field(client, user):
    response = client.post("/signup/", {"username": user.username, "password": "long and unusual"})

    assert response.status_code == 200
    assert 'id="username-error"' in response.content.decode()
