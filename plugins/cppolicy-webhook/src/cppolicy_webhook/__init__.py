"""cppolicy plugin: deliver every alert to a webhook as a JSON POST.

Configured entirely by environment variables, read afresh for each alert:

``CPPOLICY_WEBHOOK_URL``
    where to POST (``http://`` or ``https://``). Unset or empty: the plugin does nothing.
``CPPOLICY_WEBHOOK_SECRET``
    when set, the body is signed: ``X-Cppolicy-Signature: sha256=<hex HMAC-SHA256 of the body>``.
``CPPOLICY_WEBHOOK_ATTEMPTS`` (default 5)
    attempts in all, the first included.
``CPPOLICY_WEBHOOK_BACKOFF`` (default 0.5)
    seconds before the second attempt; doubled before each further one.
``CPPOLICY_WEBHOOK_MAX_DELAY`` (default 30)
    the longest wait between two attempts, a ``Retry-After`` included.
``CPPOLICY_WEBHOOK_TIMEOUT`` (default 10)
    seconds to wait for the server on each attempt.

The body is ``alert.to_dict()`` as UTF-8 JSON; ``Idempotency-Key`` carries ``alert.key`` so a
receiver can drop a delivery it has already seen (a retry after a lost response, a re-run).
Connection errors, timeouts, 5xx and 429 are retried (``Retry-After`` in seconds is honoured on
429 and 503); any other status outside 2xx is not, and neither are redirects. When delivery
fails an exception naming the URL (without credentials or query) and the last status is
raised; the host records it and goes on with evaluation and the other sinks.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cppolicy import hookimpl

__all__ = [
    "WebhookConfig",
    "WebhookConfigError",
    "WebhookDeliveryError",
    "cppolicy_handle_alert",
    "deliver",
    "sign",
]

__version__ = "0.1.0"

URL_ENV = "CPPOLICY_WEBHOOK_URL"
SECRET_ENV = "CPPOLICY_WEBHOOK_SECRET"
ATTEMPTS_ENV = "CPPOLICY_WEBHOOK_ATTEMPTS"
BACKOFF_ENV = "CPPOLICY_WEBHOOK_BACKOFF"
MAX_DELAY_ENV = "CPPOLICY_WEBHOOK_MAX_DELAY"
TIMEOUT_ENV = "CPPOLICY_WEBHOOK_TIMEOUT"

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
    attempts: int = 5
    backoff: float = 0.5
    max_delay: float = 30.0
    timeout: float = 10.0

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
            attempts=int(_number(env, ATTEMPTS_ENV, 5, minimum=1, maximum=100, integer=True)),
            backoff=_number(env, BACKOFF_ENV, 0.5, minimum=0, maximum=3600),
            max_delay=_number(env, MAX_DELAY_ENV, 30.0, minimum=0, maximum=3600),
            timeout=_number(env, TIMEOUT_ENV, 10.0, minimum=0.001, maximum=3600),
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib turns a redirected POST into a GET without the body; a webhook must not be
    # silently re-aimed, so a 3xx is reported as the failure it is.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


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
    # Built per delivery so that proxy variables (http_proxy, no_proxy…) are read as they are now.
    opener = urllib.request.build_opener(_NoRedirect)
    for attempt in range(1, config.attempts + 1):
        wait: float | None = None
        request = urllib.request.Request(config.url, data=body, headers=headers, method="POST")
        try:
            with opener.open(request, timeout=config.timeout) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            status, problem = error.code, f"HTTP {error.code}"
            retry_after = _retry_after(error.headers) if error.code in (429, 503) else None
            error.close()
            if error.code not in _RETRY_STATUSES:
                raise WebhookDeliveryError(
                    f"webhook {shown}: refused with HTTP {error.code} on attempt {attempt} (not retried)",
                    url=shown,
                    status=error.code,
                    attempts=attempt,
                ) from None
            wait = retry_after
        except urllib.error.URLError as error:
            status, problem = None, f"{type(error.reason).__name__}: {error.reason}"
        except (OSError, http.client.HTTPException) as error:  # timeouts, resets, a garbled response
            status, problem = None, f"{type(error).__name__}: {error}"
        if attempt < config.attempts:
            sleep(min(config.max_delay, wait if wait is not None else config.delay(attempt)))
    last = f"HTTP {status}" if status is not None else f"no response ({problem})"
    raise WebhookDeliveryError(
        f"webhook {shown}: not delivered after {config.attempts} attempt(s); last status: {last}",
        url=shown,
        status=status,
        attempts=config.attempts,
    )


@hookimpl
def cppolicy_handle_alert(alert) -> None:
    """POST the alert when ``CPPOLICY_WEBHOOK_URL`` is set; do nothing otherwise."""
    config = WebhookConfig.from_env()
    if config is None:
        return
    deliver(alert.to_dict(), alert.key, config)
