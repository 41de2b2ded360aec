"""Security headers and cookie flags, CSP-clean pages, the admin behind staff login, and
password rules. `manage.py check --deploy` itself runs in tests/project/test_prod_settings.py.
"""

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from apps.common.csp import HEADER, LOOSER_POLICIES, POLICY
from tests.factories import PASSWORD, PostFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]

# --- Content-Security-Policy ---------------------------------------------------------------

PAGES = ["/", "/inbox/", "/friends/", "/settings/notifications/", "/posts/{post}/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*PAGES, "/login/", "/api/me/", "/admin/login/"])
def test_every_response_carries_the_strict_policy(client, user, path):
    client.force_login(user)

    response = client.get(path.format(post=PostFactory(author=user).pk))

    assert response[HEADER] == POLICY
    assert response["X-Frame-Options"] == "DENY"


def test_policy_allows_same_origin_only_and_no_inline_code():
    directives = dict(d.split(" ", 1) for d in POLICY.split("; "))

    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in POLICY


@pytest.mark.django_db
def test_swagger_ui_alone_gets_the_looser_policy_it_needs(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response[HEADER] == LOOSER_POLICIES["/api/docs/"]


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self._in_inline_script = True
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        *PAGES,
        "/login/",
        "/admin/login/",
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/{user}/change/",
        "/admin/posts/post/",
    ],
)
def test_pages_have_no_inline_script_or_style(client, path):
    staff = UserFactory(is_staff=True, is_superuser=True)
    if "login" not in path:
        client.force_login(staff)

    response = client.get(path.format(post=PostFactory(author=staff).pk, user=staff.pk))

    assert response.status_code == 200, path
    assert inline_code(response.content.decode()) == []


# --- The admin -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", "/admin/accounts/user/", "/admin/posts/post/"])
def test_admin_sends_anonymous_and_non_staff_users_to_its_login(client, path):
    anonymous = client.get(path)
    client.force_login(UserFactory())
    member = client.get(path)

    for response in (anonymous, member):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_admin_login_refuses_a_member_without_staff_status(client):
    member = UserFactory()

    response = client.post("/admin/login/", {"username": member.username, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_admin_login_form_needs_a_csrf_token(user):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})

    assert response.status_code == 403


# --- Passwords -----------------------------------------------------------------------------


def test_all_four_password_validators_are_on():
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}

    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["short1", "password123", "83920174", "ripple-fan-1"])
def test_registration_refuses_weak_passwords(api_client, password):
    response = api_client.post(
        "/api/auth/register/", {"username": "ripple-fan", "password": password}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["password"]


# --- Production: headers and cookie flags, in a fresh interpreter -------------------------

PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "project.settings.prod",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "ripple.example.com",
    # Never contacted: the request below touches neither the database nor Redis.
    "DATABASE_URL": "postgres://ripple:secret@db.invalid:5432/ripple",
    "REDIS_URL": "redis://redis.invalid:6379/0",
}

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.test import Client
client = Client(HTTP_HOST="ripple.example.com")
https = client.get("/api/me/", HTTP_X_FORWARDED_PROTO="https")
http = client.get("/api/me/")
names = [
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT",
]
print(json.dumps({
    "https": [https.status_code, dict(https.headers)],
    "http": [http.status_code, dict(http.headers)],
    "settings": {name: getattr(settings, name) for name in names},
}))
"""


def prod_probe(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **PROD_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_prod_answers_https_with_every_security_header_and_secure_cookie_flags():
    probe = prod_probe()

    status, headers = probe["https"]
    assert status == 401
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers[HEADER] == POLICY
    assert probe["settings"] == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
    }


def test_prod_redirects_plain_http_to_https_unless_told_not_to():
    redirected = prod_probe()["http"]
    served = prod_probe(DJANGO_SECURE_SSL_REDIRECT="false")["http"]

    assert redirected[0] == 301
    assert redirected[1]["Location"] == "https://ripple.example.com/api/me/"
    assert served[0] == 401
