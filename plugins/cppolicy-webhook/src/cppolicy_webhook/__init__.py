"""cppolicy plugin: deliver every alert to a webhook as a JSON POST.

Configured entirely by environment variables, read afresh for each alert:

``CPPOLICY_WEBHOOK_URL``
    where to POST (``http://`` or ``https://``). Unset or empty: the plugin sends nothing, and
    :func:`sink_unready` says so, so the monitor's relay does not use it as a sink: its alerts
    stay pending (never counted as delivered) until the monitor runs with the URL set.
``CPPOLICY_WEBHOOK_SECRET``
    when set, the body is signed: ``X-Cppolicy-Signature: sha256=<hex HMAC-SHA256 of the body>``.
``CPPOLICY_WEBHOOK_ATTEMPTS`` (default 1)
    attempts in all, the first included. The monitor's relay retries a failed delivery itself
    (with back-off, across restarts), so one attempt per call keeps the relay moving.
``CPPOLICY_WEBHOOK_BACKOFF`` (default 0.5)
    seconds before the second attempt; doubled before each further one.
``CPPOLICY_WEBHOOK_MAX_DELAY`` (default 30)
    the longest wait between two attempts, a ``Retry-After`` included.
``CPPOLICY_WEBHOOK_TIMEOUT`` (default 10)
    a total deadline per attempt: connecting, sending and receiving the whole answer. A server
    that trickles its answer is cut off at the deadline (a timeout per read would never fire).
``CPPOLICY_WEBHOOK_MAX_RESPONSE`` (default 65536)
    bytes of the answer's body read at most; the rest is not read (the connection is closed),
    so a huge answer costs no memory.

The body is ``alert.to_dict()`` as UTF-8 JSON; ``Idempotency-Key`` carries ``alert.key`` so a
receiver can drop a delivery it has already seen (a retry after a lost response, a re-run).
Connection errors, deadlines, 5xx and 429 are retried (``Retry-After`` in seconds is honoured on
429 and 503); any other status outside 2xx is not, and neither are redirects. When delivery
fails an exception naming the URL (without credentials or query) and the last status is
raised; the host records it and goes on with evaluation and the other sinks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from cppolicy import hookimpl

__all__ = [
    "DeadlineExceeded",
    "WebhookConfig",
    "WebhookConfigError",
    "WebhookDeliveryError",
    "cppolicy_handle_alert",
    "deliver",
    "post_once",
    "sign",
    "sink_unready",
]

__version__ = "0.1.0"

URL_ENV = "CPPOLICY_WEBHOOK_URL"
SECRET_ENV = "CPPOLICY_WEBHOOK_SECRET"
ATTEMPTS_ENV = "CPPOLICY_WEBHOOK_ATTEMPTS"
BACKOFF_ENV = "CPPOLICY_WEBHOOK_BACKOFF"
MAX_DELAY_ENV = "CPPOLICY_WEBHOOK_MAX_DELAY"
TIMEOUT_ENV = "CPPOLICY_WEBHOOK_TIMEOUT"
MAX_RESPONSE_ENV = "CPPOLICY_WEBHOOK_MAX_RESPONSE"

SIGNATURE_HEADER = "X-Cppolicy-Signature"
USER_AGENT = f"cppolicy-webhook/{__version__}"


class WebhookConfigError(ValueError):
    """A webhook environment variable that cannot be used."""


class WebhookDeliveryError(RuntimeError):
    """The alert was not delivered: every attempt failed, or the server refused it."""

    def __init__(self, message: str, *, url: str, status: int | None, attempts: int) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.attempts = attempts


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: bytes | None = None
    attempts: int = 1
    backoff: float = 0.5
    max_delay: float = 30.0
    timeout: float = 10.0
    max_response: int = 65536

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebhookConfig | None:
        """The configuration in ``environ`` (default ``os.environ``); None when no URL is set."""
        env = os.environ if environ is None else environ
        url = env.get(URL_ENV, "").strip()
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WebhookConfigError(f"{URL_ENV}: {redact(url)!r} is not an http:// or https:// URL")
        secret = env.get(SECRET_ENV, "")
        return cls(
            url=url,
            secret=secret.encode("utf-8") if secret else None,
            attempts=int(_number(env, ATTEMPTS_ENV, 1, minimum=1, maximum=100, integer=True)),
            backoff=_number(env, BACKOFF_ENV, 0.5, minimum=0, maximum=3600),
            max_delay=_number(env, MAX_DELAY_ENV, 30.0, minimum=0, maximum=3600),
            timeout=_number(env, TIMEOUT_ENV, 10.0, minimum=0.001, maximum=3600),
            max_response=int(_number(env, MAX_RESPONSE_ENV, 65536, minimum=0, maximum=2**30, integer=True)),
        )

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 = the second attempt)."""
        return min(self.max_delay, self.backoff * 2 ** (retry - 1))


def _number(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    minimum: float,
    maximum: float,
    integer: bool = False,
) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number of seconds"
        raise WebhookConfigError(f"{name}: {text!r} is not {kind}") from None
    if not minimum <= value <= maximum:  # also rejects nan
        raise WebhookConfigError(f"{name}: {text} is outside {minimum:g}..{maximum:g}")
    return value


def redact(url: str) -> str:
    """``url`` without user info, query or fragment: safe to put in an error message or a log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def sign(body: bytes, secret: bytes) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def encode(payload: Mapping[str, Any]) -> bytes:
    """The request body: compact UTF-8 JSON with sorted keys (stable, so signatures are too)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class DeadlineExceeded(TimeoutError):
    """The server did not answer completely within the deadline of the attempt."""


def _proxy_for(parts: SplitResult) -> SplitResult | None:
    """The proxy for ``parts`` from the usual variables (``https_proxy``, ``no_proxy``…), or None."""
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return urlsplit(proxy if "://" in proxy else f"http://{proxy}")


def _basic(parts: SplitResult) -> str | None:
    if parts.username is None:
        return None
    user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(user_pass.encode("utf-8")).decode("ascii")


def _connection(parts: SplitResult, timeout: float) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection for ``parts`` (through a proxy if one applies), the request target and the
    extra headers (credentials)."""
    target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    extra: dict[str, str] = {}
    if (auth := _basic(parts)) is not None:
        extra["Authorization"] = auth
    port = parts.port
    proxy = _proxy_for(parts)
    connection: http.client.HTTPConnection
    if proxy is None:
        if parts.scheme == "https":
            context = ssl.create_default_context()
            connection = http.client.HTTPSConnection(
                parts.hostname or "", port, timeout=timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname or "", port, timeout=timeout)
        return connection, target, extra
    proxy_auth = {"Proxy-Authorization": auth} if (auth := _basic(proxy)) is not None else {}
    if parts.scheme == "https":
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(
            proxy.hostname or "", proxy.port, timeout=timeout, context=context
        )
        connection.set_tunnel(parts.hostname or "", port, headers=proxy_auth)
        return connection, target, extra
    connection = http.client.HTTPConnection(proxy.hostname or "", proxy.port, timeout=timeout)
    absolute = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path or "/", parts.query, ""))
    return connection, absolute, {**extra, **proxy_auth}


def _cut(connection: http.client.HTTPConnection) -> None:
    """At the deadline: shut the socket down, so that a blocked read returns at once."""
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def post_once(
    url: str, body: bytes, headers: Mapping[str, str], timeout: float, max_response: int
) -> tuple[int, Any]:
    """One POST within a total deadline of ``timeout`` seconds (connect, send, receive), reading
    at most ``max_response`` bytes of the answer; returns its status and headers. Raises
    :class:`DeadlineExceeded`, ``OSError`` or ``http.client.HTTPException``."""
    parts = urlsplit(url)
    connection, target, extra = _connection(parts, timeout)
    started = time.monotonic()
    watchdog = threading.Timer(timeout, _cut, (connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target, body=body, headers={**headers, **extra, "Connection": "close"})
        response = connection.getresponse()
        response.read(max_response)
        status, answer_headers = response.status, response.headers
    except (OSError, http.client.HTTPException) as error:
        if time.monotonic() - started >= timeout:
            raise DeadlineExceeded(f"no complete answer within {timeout:g} s") from None
        raise error from None
    finally:
        watchdog.cancel()
        connection.close()
    return status, answer_headers  # the status line and headers arrived: the server has answered


_RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))


def _retry_after(headers: Any) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is ignored: back-off applies)."""
    text = headers.get("Retry-After") if headers is not None else None
    if not text:
        return None
    try:
        seconds = float(text.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def deliver(
    payload: Mapping[str, Any],
    key: str,
    config: WebhookConfig,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST ``payload`` to ``config.url``, retrying as configured; return the 2xx status.

    Raises :class:`WebhookDeliveryError` when the server refuses the alert (a 4xx other than
    429, or a redirect) or when every attempt failed.
    """
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        "User-Agent": USER_AGENT,
    }
    if config.secret is not None:
        headers[SIGNATURE_HEADER] = sign(body, config.secret)
    shown = redact(config.url)
    status: int | None = None
    problem = ""
    for attempt in range(1, config.attempts + 1):
        wait: float | None = None
        try:
            code, answer = post_once(config.url, body, headers, config.timeout, config.max_response)
        except (OSError, http.client.HTTPException) as error:  # deadlines, refusals, resets, garbled answers
            status, problem = None, f"{type(error).__name__}: {error}"
        else:
            if 200 <= code < 300:
                return code
            status, problem = code, f"HTTP {code}"
            if code not in _RETRY_STATUSES:
                raise WebhookDeliveryError(
                    f"webhook {shown}: refused with HTTP {code} on attempt {attempt} (not retried)",
                    url=shown,
                    status=code,
                    attempts=attempt,
                )
            wait = _retry_after(answer) if code in (429, 503) else None
        if attempt < config.attempts:
            sleep(min(config.max_delay, wait if wait is not None else config.delay(attempt)))
    last = f"HTTP {status}" if status is not None else f"no response ({problem})"
    raise WebhookDeliveryError(
        f"webhook {shown}: not delivered after {config.attempts} attempt(s); last status: {last}",
        url=shown,
        status=status,
        attempts=config.attempts,
    )


def sink_unready() -> str | None:
    """Why this sink cannot deliver (the relay leaves its deliveries pending), or None."""
    if not os.environ.get(URL_ENV, "").strip():
        return f"{URL_ENV} is not set"
    return None


@hookimpl
def cppolicy_handle_alert(alert) -> None:
    """POST the alert when ``CPPOLICY_WEBHOOK_URL`` is set; do nothing otherwise."""
    config = WebhookConfig.from_env()
    if config is None:
        return
    deliver(alert.to_dict(), alert.key, config)
