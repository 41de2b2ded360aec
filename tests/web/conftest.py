"""Browser fixtures: Debian's chromium driven by Playwright against a real uvicorn worker.

Without /usr/bin/chromium the browser tests skip, saying why; under CI=true they fail.
Every page's console is watched: an error or an uncaught exception fails the test.
"""

import os
import re
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client

from apps.accounts.models import User

if TYPE_CHECKING:  # Playwright is imported only when a browser test runs
    from playwright.sync_api import BrowserContext, Page
from tests.factories import PASSWORD, TokenFactory, UserFactory, make_friends
from tests.wsclient import http_json

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
VIEWPORT = {"width": 1100, "height": 760}
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# Playwright's default 30 s would hide a hang; every wait in these tests is short.
TIMEOUT_MS = 5000


def browser_user(username: str) -> User:
    """A user who can log in to the worker, which does not know the test settings' MD5 hasher.

    PBKDF2 with few iterations: a hash every settings module accepts, made quickly.
    """
    user = UserFactory(username=username)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "browser-tests", iterations=1000)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def pablo_and_tito(transactional_db) -> tuple[User, User]:
    pablo, tito = browser_user("pablo"), browser_user("tito")
    make_friends(pablo, tito)
    return pablo, tito


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but this test {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop in this thread, and Django refuses ORM
        # calls next to a running loop; the test's ORM calls are plain synchronous ones.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture(scope="session")
def _workers(django_db_setup) -> Iterator[list[str]]:
    """The base URLs of two real uvicorn workers on the test database and Redis.

    Like `asgi_workers(2)`, but they serve every browser test: starting one costs a second or
    two, and each test's rows are flushed from the database they read anyway. Most tests use
    the first only; the second is there for tabs of one user on different workers.
    """
    _require_chromium()
    from django.db import connection

    from scripts.workers import running_workers

    database = connection.settings_dict
    env = {
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "REDIS_URL": os.environ["REDIS_URL"],
        "CHANNEL_LAYER_PREFIX": f"test-web-{uuid.uuid4().hex[:12]}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    with running_workers(2, env=env) as pool:
        urls = [worker.http_url for worker in pool.workers]
        # The first request imports the URL conf and the apps; pay for it here, once.
        for url in urls:
            urllib.request.urlopen(f"{url}/login/", timeout=30).close()  # noqa: S310 - local
        yield urls


@pytest.fixture(scope="session")
def server(_workers) -> str:
    """The base URL of the worker most browser tests use."""
    return _workers[0]


@pytest.fixture(scope="session")
def second_server(_workers) -> str:
    """Another worker on the same database and channel layer (cookies ignore the port)."""
    return _workers[1]


@dataclass
class Visitor:
    """One person in their own browser context (cookies and localStorage of their own)."""

    user: User
    base_url: str
    context: "BrowserContext"
    page: "Page"
    errors: list[str] = field(default_factory=list)
    allowed_errors: list[re.Pattern] = field(default_factory=list)

    def open(self, path: str = "/", *, new_tab: bool = False):
        """Go to `path` (in a new tab if asked) and wait until the live socket is open."""
        page = self.context.new_page() if new_tab else self.page
        if not new_tab and page.is_closed():
            page = self.page = self.context.new_page()
        page.goto(self.base_url + path)
        page.locator('#connection[data-state="open"]').wait_for()
        return page

    def allow_console_error(self, pattern: str) -> None:
        self.allowed_errors.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed_errors)]


def _watch_console(visitor: Visitor) -> None:
    def on_console(message) -> None:
        if message.type == "error":
            visitor.errors.append(f"{message.text} ({message.location.get('url', '')})")

    visitor.context.on("console", on_console)
    visitor.context.on("weberror", lambda error: visitor.errors.append(str(error.error)))


def anonymous_errors(context: "BrowserContext") -> list[str]:
    """Watch a context that has no Visitor (a signed-out page): its console errors and
    uncaught exceptions, for the test to assert empty."""
    errors: list[str] = []
    context.on("console", lambda m: errors.extend([m.text] if m.type == "error" else []))
    context.on("weberror", lambda error: errors.append(str(error.error)))
    return errors


def _session_cookie(user: User, base_url: str) -> dict:
    """A logged-in session cookie for `user`, made the way Django's test client makes one.

    The worker shares this process's SECRET_KEY (the settings read it from the environment
    the worker inherits), so it accepts the session.
    """
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return {"name": cookie.key, "value": cookie.value, "url": base_url}


@pytest.fixture
def visit(browser, server) -> Iterator[Callable[..., Visitor]]:
    """`visit(user, path="/")`: the user, logged in, on `path` in a fresh browser context.

    `via_form=True` logs in through the login page; otherwise a session cookie is set
    directly (the worker's password hasher makes a form login cost about a second).
    `viewport` defaults to VIEWPORT; `on` is another worker's base URL (`second_server`).
    """
    visitors: list[Visitor] = []

    def login(
        user: User,
        *,
        path: str = "/",
        via_form: bool = False,
        viewport: dict | None = None,
        on: str | None = None,
    ) -> Visitor:
        base_url = on or server
        context = browser.new_context(viewport=viewport or VIEWPORT, base_url=base_url)
        context.set_default_timeout(TIMEOUT_MS)
        visitor = Visitor(user=user, base_url=base_url, context=context, page=context.new_page())
        _watch_console(visitor)
        visitors.append(visitor)
        if not via_form:
            context.add_cookies([_session_cookie(user, base_url)])
            visitor.open(path)
            return visitor
        page = visitor.page
        page.goto(f"{base_url}/login/?next={path}")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base_url}{path}")
        page.locator('#connection[data-state="open"]').wait_for()
        return visitor

    yield login

    problems = {v.user.username: v.unexpected_errors() for v in visitors}
    for visitor in visitors:
        visitor.context.close()
    problems = {name: errors for name, errors in problems.items() if errors}
    assert not problems, f"browser console errors: {problems}"


def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    """Save `artifacts/screenshots/<name>.png` (the README shows copies from docs/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.x A/AA violations on the page as it is now, one line each.

    axe-core (MPL-2.0) is vendored from the npm package in tests/web/vendor/.
    """
    # Evaluated by the test harness, not a <script>: the pages' CSP allows no inline script.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                              'best-practice']})"""
    )
    return [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: nothing sticks out)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def post_from(visitor: Visitor, content: str, *, type: str = "thoughts") -> None:
    """Post through the feed page's form and wait until the author's feed shows it."""
    page = visitor.page
    page.get_by_label("What's on your mind?").fill(content)
    page.get_by_label("Type").select_option(type)
    page.get_by_role("button", name="Post", exact=True).click()
    page.locator("#feed > li").filter(has_text=content).wait_for()


def post_as(server: str, user: User, content: str, *, type: str = "thoughts") -> dict:
    """Post through the worker's REST API (outside any browser); returns the post JSON."""
    token = TokenFactory(user=user).key
    status, body = http_json(
        "POST", f"{server}/api/posts/", token, {"content": content, "type": type}
    )
    assert status == 201, body
    return body
