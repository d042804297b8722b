"""Phone notifications: only a count leaves the machine, over HTTPS (or to 127.0.0.1), never a redirect."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from core.config import NotificationSettings
from core.errors import ConfigError
from core.notify import Notifier
from tests.send.webhook import WebhookServer


async def test_ntfy_gets_only_the_count_in_french_with_the_bearer_token() -> None:
    with WebhookServer() as rec:
        notifier = Notifier("ntfy", rec.url, "NTFY_TOKEN", environ={"NTFY_TOKEN": "tok-123"})
        assert await notifier.new_mail(3) is True
        assert await notifier.new_mail(1) is True
    bodies = [r.body.decode("utf-8") for r in rec.requests]
    assert bodies == ["3 nouveaux messages sécurisés", "1 nouveau message sécurisé"]
    assert rec.requests[0].path == "/cabinet-topic"
    assert rec.requests[0].headers["Authorization"] == "Bearer tok-123"
    assert notifier.sent == 2 and notifier.failures == 0


async def test_webhook_gets_json_with_text_and_count_only() -> None:
    with WebhookServer() as rec:
        settings = NotificationSettings(kind="webhook", url=rec.url)
        assert await Notifier.from_settings(settings).new_mail(5)
    payload = json.loads(rec.requests[0].body)
    assert payload == {"text": "5 nouveaux messages sécurisés", "count": 5}
    assert "Authorization" not in rec.requests[0].headers


async def test_nothing_is_sent_for_zero_or_when_disabled() -> None:
    with WebhookServer() as rec:
        assert await Notifier("ntfy", rec.url).new_mail(0) is False
        assert await Notifier("none", rec.url).new_mail(4) is False
    assert rec.requests == []


async def test_a_failing_service_is_counted_and_logged_without_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with WebhookServer() as rec:
        rec.status = 500
        notifier = Notifier("ntfy", rec.url)
        with caplog.at_level(logging.WARNING, logger="missive.notify"):
            assert await notifier.new_mail(2) is False
    assert notifier.failures == 1
    assert "500" in caplog.text and "nouveaux" not in caplog.text and rec.url not in caplog.text


async def test_a_redirect_is_not_followed() -> None:
    with WebhookServer() as target, WebhookServer() as rec:
        rec.status = 302
        rec.location = target.url
        assert await Notifier("webhook", rec.url).new_mail(2) is False
    assert len(rec.requests) == 1 and target.requests == []


async def test_an_unreachable_service_fails_quietly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    notifier = Notifier("ntfy", f"http://127.0.0.1:{port}/t", timeout=2)
    assert await notifier.new_mail(1) is False and notifier.failures == 1


@pytest.mark.parametrize(
    ("kind", "url", "token_env"),
    [
        ("ntfy", "http://ntfy.example.org/topic", ""),  # plain http off the machine
        ("ntfy", "ftp://127.0.0.1/x", ""),
        ("webhook", "", ""),
        ("sms", "https://x.example.org", ""),
        ("ntfy", "https://ntfy.example.org/t", "MISSIVE_TEST_UNSET_TOKEN"),
    ],
)
def test_bad_settings_are_one_clear_config_error(kind: str, url: str, token_env: str) -> None:
    with pytest.raises(ConfigError) as info:
        Notifier(kind, url, token_env, environ={})
    assert "notifications." in str(info.value) and "\n" not in str(info.value)


async def test_urgent_count_only_when_the_setting_asks() -> None:
    with WebhookServer() as rec:
        await Notifier.from_settings(NotificationSettings(kind="webhook", url=rec.url)).new_mail(3, 1)
        settings = NotificationSettings(kind="webhook", url=rec.url, urgent=True)
        await Notifier.from_settings(settings).new_mail(3, 1)
    plain, urgent = (json.loads(r.body) for r in rec.requests)
    assert plain == {"text": "3 nouveaux messages sécurisés", "count": 3}
    assert urgent == {"text": "3 nouveaux messages sécurisés, dont 1 urgent", "count": 3, "urgent": 1}


async def test_a_count_the_service_did_not_take_is_owed_not_lost() -> None:
    """The phone service down when 2 letters came: the push failed and the 2 were never said. Now the next push
    says them too, and retry() (the daemon, every minute) says them once the service answers, without waiting
    for another letter; nothing is said twice."""
    with WebhookServer() as rec:
        notifier = Notifier("ntfy", rec.url)
        rec.status = 503
        assert await notifier.new_mail(2) is False
        assert await notifier.retry() is False  # still down: still owed
        rec.status = 200
        assert await notifier.new_mail(1) is True
        assert await notifier.retry() is False  # nothing owed any more
        rec.status = 503
        assert await notifier.new_mail(4) is False
        rec.status = 200
        assert await notifier.retry() is True
        assert await notifier.retry() is False
    bodies = [r.body.decode() for r in rec.requests]
    assert bodies == [
        "2 nouveaux messages sécurisés",
        "2 nouveaux messages sécurisés",
        "3 nouveaux messages sécurisés",
        "4 nouveaux messages sécurisés",
        "4 nouveaux messages sécurisés",
    ]
    assert notifier.owed == 0 and notifier.failures == 3
