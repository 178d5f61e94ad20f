"""The webhook sink against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket

import pytest
from conftest import Reply
from cppolicy.plugin import Plugins

import cppolicy_webhook
from cppolicy_webhook import (
    WebhookConfig,
    WebhookConfigError,
    WebhookDeliveryError,
    cppolicy_handle_alert,
    deliver,
)


def config(url: str, **overrides) -> WebhookConfig:
    values = {"url": url, "attempts": 5, "backoff": 0.01, "max_delay": 30.0, "timeout": 2.0, **overrides}
    return WebhookConfig(**values)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- configuration ---------------------------------------------------------------------------------


def test_no_url_does_nothing(alert, serve):
    server = serve(Reply(500))
    assert WebhookConfig.from_env() is None
    assert cppolicy_handle_alert(alert) is None
    assert server.requests == []


def test_no_url_says_the_sink_is_not_ready_so_its_alerts_stay_pending(monkeypatch):
    """Sending nothing and returning made the relay count every alert as delivered; the relay
    asks sink_unready() first and leaves the deliveries pending."""
    import cppolicy_webhook

    assert cppolicy_webhook.sink_unready() == "CPPOLICY_WEBHOOK_URL is not set"
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", "  ")
    assert cppolicy_webhook.sink_unready() == "CPPOLICY_WEBHOOK_URL is not set"
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", "https://example.invalid/hook")
    assert cppolicy_webhook.sink_unready() is None


def test_defaults():
    cfg = WebhookConfig.from_env({"CPPOLICY_WEBHOOK_URL": "https://example.invalid/hook"})
    assert (cfg.attempts, cfg.backoff, cfg.max_delay, cfg.timeout, cfg.secret) == (1, 0.5, 30.0, 10.0, None)
    assert cfg.max_response == 65536
    assert [cfg.delay(n) for n in (1, 2, 3, 4, 10)] == [0.5, 1.0, 2.0, 4.0, 30.0]


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        (
            "CPPOLICY_WEBHOOK_URL",
            "ftp://example.invalid/x",
            "CPPOLICY_WEBHOOK_URL: 'ftp://example.invalid/x'",
        ),
        ("CPPOLICY_WEBHOOK_ATTEMPTS", "three", "CPPOLICY_WEBHOOK_ATTEMPTS: 'three' is not an integer"),
        ("CPPOLICY_WEBHOOK_ATTEMPTS", "0", "CPPOLICY_WEBHOOK_ATTEMPTS: 0 is outside 1..100"),
        ("CPPOLICY_WEBHOOK_BACKOFF", "-1", "CPPOLICY_WEBHOOK_BACKOFF: -1 is outside 0..3600"),
        ("CPPOLICY_WEBHOOK_TIMEOUT", "nan", "CPPOLICY_WEBHOOK_TIMEOUT: nan is outside"),
    ],
)
def test_bad_configuration_names_the_variable(name, value, shown):
    env = {"CPPOLICY_WEBHOOK_URL": "http://127.0.0.1:9/x", name: value}
    with pytest.raises(WebhookConfigError, match=shown.replace("(", r"\(").replace(".", r"\.")):
        WebhookConfig.from_env(env)


# -- delivery --------------------------------------------------------------------------------------


def test_posts_the_alert_as_json_with_idempotency_key(alert, serve, monkeypatch):
    server = serve(Reply(200))
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", server.url)
    cppolicy_handle_alert(alert)
    [request] = server.requests
    assert request.method == "POST" and request.path == "/hooks/cppolicy"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == alert.key
    assert request.headers["User-Agent"].startswith("cppolicy-webhook/")
    assert "X-Cppolicy-Signature" not in request.headers
    assert json.loads(request.body.decode("utf-8")) == json.loads(json.dumps(alert.to_dict()))
    assert "投诉处理超过十五个工作日" in request.body.decode("utf-8")  # UTF-8, not \u escapes


def test_signature_is_hmac_sha256_of_the_body(alert, serve, monkeypatch):
    server = serve(Reply(204))
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", server.url)
    monkeypatch.setenv("CPPOLICY_WEBHOOK_SECRET", "s3cret-密钥")
    cppolicy_handle_alert(alert)
    [request] = server.requests
    expected = hmac.new("s3cret-密钥".encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Cppolicy-Signature"] == f"sha256={expected}"
    assert hmac.compare_digest(
        request.headers["X-Cppolicy-Signature"], cppolicy_webhook.sign(request.body, "s3cret-密钥".encode())
    )


def test_503_twice_then_success_is_three_requests(alert, serve, monkeypatch):
    server = serve(Reply(503), Reply(503), Reply(200))
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", server.url)
    cppolicy_handle_alert(alert)
    assert len(server.requests) == 3
    assert len({r.body for r in server.requests}) == 1  # the same body each time
    assert {r.headers["Idempotency-Key"] for r in server.requests} == {alert.key}


def test_backoff_doubles_between_attempts(alert, serve):
    server = serve(Reply(502), Reply(500), Reply(504), Reply(201))
    waits: list[float] = []
    assert deliver(alert.to_dict(), alert.key, config(server.url, backoff=0.25), sleep=waits.append) == 201
    assert waits == [0.25, 0.5, 1.0]


def test_backoff_is_capped(alert, serve):
    server = serve(Reply(500))
    waits: list[float] = []
    with pytest.raises(WebhookDeliveryError):
        deliver(alert.to_dict(), alert.key, config(server.url, backoff=1, max_delay=3), sleep=waits.append)
    assert waits == [1, 2, 3, 3]


def test_429_honours_retry_after_seconds(alert, serve):
    server = serve(Reply(429, {"Retry-After": "7"}), Reply(200))
    waits: list[float] = []
    assert deliver(alert.to_dict(), alert.key, config(server.url), sleep=waits.append) == 200
    assert waits == [7.0]
    assert len(server.requests) == 2


def test_retry_after_is_capped_and_really_waited(alert, serve, monkeypatch):
    server = serve(Reply(429, {"Retry-After": "120"}), Reply(200))
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", server.url)  # max delay 0.05 s from conftest
    cppolicy_handle_alert(alert)
    assert len(server.requests) == 2


def test_400_is_not_retried_and_raises(alert, serve, monkeypatch):
    server = serve(Reply(400), Reply(200))
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", server.url)
    with pytest.raises(WebhookDeliveryError) as caught:
        cppolicy_handle_alert(alert)
    assert len(server.requests) == 1
    assert server.url in str(caught.value) and "HTTP 400" in str(caught.value)
    assert caught.value.status == 400 and caught.value.attempts == 1


def test_redirect_is_not_followed(alert, serve):
    server = serve(Reply(302, {"Location": "http://127.0.0.1:9/elsewhere"}))
    with pytest.raises(WebhookDeliveryError, match="HTTP 302"):
        deliver(alert.to_dict(), alert.key, config(server.url), sleep=lambda s: None)
    assert len(server.requests) == 1


def test_every_attempt_failing_raises_with_url_and_last_status(alert, serve, monkeypatch):
    server = serve(Reply(500), Reply(500), Reply(502))
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", server.url)
    monkeypatch.setenv("CPPOLICY_WEBHOOK_ATTEMPTS", "3")
    with pytest.raises(WebhookDeliveryError) as caught:
        cppolicy_handle_alert(alert)
    assert len(server.requests) == 3
    message = str(caught.value)
    assert server.url in message and "after 3 attempt(s)" in message and "last status: HTTP 502" in message


def test_server_down_is_retried_then_raises(alert):
    url = f"http://127.0.0.1:{closed_port()}/hook"
    waits: list[float] = []
    with pytest.raises(WebhookDeliveryError) as caught:
        deliver(alert.to_dict(), alert.key, config(url, attempts=3), sleep=waits.append)
    assert waits == [0.01, 0.02]  # three attempts
    assert url in str(caught.value) and "no response" in str(caught.value)
    assert caught.value.status is None


def test_server_down_through_the_hook(alert, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}/hook"
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", url)
    monkeypatch.setenv("CPPOLICY_WEBHOOK_ATTEMPTS", "2")
    with pytest.raises(WebhookDeliveryError, match="after 2 attempt"):
        cppolicy_handle_alert(alert)


def test_timeout_is_retried(alert, serve):
    server = serve(Reply(200, delay=1.0), Reply(200))
    assert deliver(alert.to_dict(), alert.key, config(server.url, timeout=0.2), sleep=lambda s: None) == 200
    assert len(server.requests) == 2


def test_error_message_hides_credentials_and_query(alert):
    url = f"http://user:pw@127.0.0.1:{closed_port()}/hook?token=abc"
    with pytest.raises(WebhookDeliveryError) as caught:
        deliver(alert.to_dict(), alert.key, config(url, attempts=1), sleep=lambda s: None)
    message = str(caught.value)
    assert "pw" not in message and "abc" not in message and "127.0.0.1" in message


# -- in the host -----------------------------------------------------------------------------------


def test_host_isolates_a_failing_delivery(alert, serve, monkeypatch):
    server = serve(Reply(403))
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", server.url)
    plugins = Plugins(load_entry_points=False, extra=[cppolicy_webhook])
    plugins.handle_alert(alert)
    [error] = plugins.sink_errors
    assert error.hook == "cppolicy_handle_alert"
    assert isinstance(error.error, WebhookDeliveryError) and "HTTP 403" in str(error.error)
