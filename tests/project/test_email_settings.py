"""SMTP settings from EMAIL_URL or the EMAIL_* variables."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from project.settings.env import email_settings


def test_defaults(monkeypatch):
    for name in ("EMAIL_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)

    settings = email_settings()

    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("localhost", 25)
    assert settings["EMAIL_TIMEOUT"] == 10


def test_separate_variables(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.setenv("EMAIL_HOST", "mail.example")
    monkeypatch.setenv("EMAIL_PORT", "587")
    monkeypatch.setenv("EMAIL_USE_TLS", "true")

    settings = email_settings()

    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("mail.example", 587)
    assert settings["EMAIL_USE_TLS"] is True


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://ripple:p%40ss@mail.example:587?tls=true",
            ("mail.example", 587, "ripple", "p@ss", True, False),
        ),
        ("smtps://u:p@mail.example", ("mail.example", 465, "u", "p", False, True)),
        ("smtp://relay", ("relay", 25, "", "", False, False)),
    ],
)
def test_email_url_wins(monkeypatch, url, expected):
    monkeypatch.setenv("EMAIL_HOST", "ignored")
    monkeypatch.setenv("EMAIL_URL", url)

    settings = email_settings()

    names = ("HOST", "PORT", "HOST_USER", "HOST_PASSWORD", "USE_TLS", "USE_SSL")
    assert tuple(settings[f"EMAIL_{name}"] for name in names) == expected


def test_other_schemes_are_refused(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "http://mail.example")

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings()
