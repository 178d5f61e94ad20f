"""The two plugin projects under plugins/: installed in this environment, loaded through the
``cppolicy`` entry-point group, their own test suites green, and the webhook end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pytest

from cppolicy.calendar import SHANGHAI, load_calendar
from cppolicy.evaluation.alerts import derive_alerts
from cppolicy.evaluation.engine import Engine
from cppolicy.events import Event, RawLine, parse_and_validate
from cppolicy.plugin import DEFAULT_PLUGINS, Plugins, entry_point_names
from cppolicy.rules import resolve_module
from tests.helpers import event, loopback_server

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = {
    # distribution: (entry-point name, module, hooks)
    "cppolicy-webhook": ("webhook", "cppolicy_webhook", ["cppolicy_handle_alert"]),
    "cppolicy-csv-import": ("csv_import", "cppolicy_csv_import", ["cppolicy_register_importers"]),
}


@pytest.fixture
def entry_points_on(monkeypatch):
    monkeypatch.delenv("CPPOLICY_DISABLE_PLUGINS", raising=False)


@pytest.mark.parametrize("dist_name", PLUGINS)
def test_plugin_is_installed_from_this_checkout(dist_name):
    ep_name, module_name, _ = PLUGINS[dist_name]
    dist = metadata.distribution(dist_name)
    [ep] = [ep for ep in dist.entry_points if ep.group == "cppolicy"]
    assert (ep.name, ep.value) == (ep_name, module_name)
    module = ep.load()
    # an editable install of plugins/<dist>: the tests below exercise this very source
    assert Path(module.__file__).resolve().is_relative_to(ROOT / "plugins" / dist_name / "src")
    assert ep_name in entry_point_names()


def test_describe_lists_both_plugins_as_entry_points(entry_points_on):
    described = {entry["name"]: entry for entry in Plugins().describe()}
    for dist_name, (ep_name, _, hooks) in PLUGINS.items():
        version = metadata.version(dist_name)
        assert described[ep_name]["source"] == f"{dist_name} {version} (entry point)"
        assert described[ep_name]["hooks"] == hooks
    assert described["cppolicy.builtin.policies"]["source"] == "built-in"


def test_csv_importer_is_registered_by_its_plugin(entry_points_on):
    importers = Plugins().importers()
    assert importers["csv"].plugin == "csv_import"


def test_disable_plugins_leaves_only_the_built_ins(monkeypatch):
    monkeypatch.setenv("CPPOLICY_DISABLE_PLUGINS", "1")
    plugins = Plugins()
    assert [entry["name"] for entry in plugins.describe()] == list(DEFAULT_PLUGINS)
    assert plugins.importers() == {}
    assert not plugins.has_impl("cppolicy_handle_alert")


@pytest.mark.slow
@pytest.mark.parametrize("dist_name", PLUGINS)
def test_plugin_test_suite_passes(dist_name):
    folder = ROOT / "plugins" / dist_name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CPPOLICY_", "PYTEST_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.splitlines()[-1]


# -- the webhook, end to end -------------------------------------------------------------------------


@pytest.fixture
def loopback():
    with loopback_server(status=202) as server:
        yield server


def _breach_alert():
    # Received Friday 2019-09-27 (point 九 judges complaints received up to 2020-02-29); its
    # 15th working day was 2019-10-23 (National Day 10-01..10-07 skipped, the make-up Sunday
    # 09-29 and Saturday 10-12 counted), so the decision on 10-24 is late.
    raw = [
        event("C-LATE", "received", "2019-09-27T16:30:00+08:00"),
        event("C-LATE", "acknowledged", "2019-09-29T10:00:00+08:00"),
        event("C-LATE", "decided", "2019-10-24T09:00:00+08:00"),
        event("C-LATE", "result_notified", "2019-10-24T10:00:00+08:00"),
    ]
    events = [parse_and_validate(RawLine("e2e", n, json.dumps(doc))) for n, doc in enumerate(raw, 1)]
    assert all(isinstance(e, Event) for e in events)
    module = resolve_module("cbrc-2012-13")
    calendar = load_calendar()
    as_of = datetime(2019, 12, 31, tzinfo=SHANGHAI)
    result = Engine(module, calendar).evaluate("C-LATE", events, as_of)
    alerts = derive_alerts(result, module, calendar, as_of)
    [breach] = [a for a in alerts if a.kind == "breach"]
    return breach


def test_webhook_delivers_a_real_alert_through_the_entry_point(entry_points_on, loopback, monkeypatch):
    url, received = loopback
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", url)
    monkeypatch.setenv("CPPOLICY_WEBHOOK_SECRET", "e2e-secret")
    monkeypatch.setenv("CPPOLICY_WEBHOOK_ATTEMPTS", "2")
    monkeypatch.setenv("CPPOLICY_WEBHOOK_BACKOFF", "0.01")
    alert = _breach_alert()
    assert alert.code == "CBRC2012.P9.DECISION_LATE" and alert.due == "2019-10-24T00:00:00+08:00"

    plugins = Plugins()
    assert plugins.has_impl("cppolicy_handle_alert")
    plugins.handle_alert(alert)

    assert plugins.sink_errors == []
    [(headers, body)] = received
    payload = json.loads(body)
    assert payload == json.loads(json.dumps(alert.to_dict()))
    assert payload["citation"]["instrument"] == "银监发〔2012〕13号"
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == alert.key
    assert headers["X-Cppolicy-Signature"].startswith("sha256=")


def test_webhook_failure_is_recorded_not_raised(entry_points_on, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CPPOLICY_WEBHOOK_URL", f"http://127.0.0.1:{port}/cppolicy")
    monkeypatch.setenv("CPPOLICY_WEBHOOK_ATTEMPTS", "2")
    monkeypatch.setenv("CPPOLICY_WEBHOOK_BACKOFF", "0.01")
    plugins = Plugins()
    plugins.handle_alert(_breach_alert())
    [error] = plugins.sink_errors
    assert error.plugin == "webhook"
    assert f"127.0.0.1:{port}" in str(error.error) and "after 2 attempt(s)" in str(error.error)


def test_no_webhook_url_means_no_delivery_and_no_error(entry_points_on, monkeypatch):
    monkeypatch.delenv("CPPOLICY_WEBHOOK_URL", raising=False)
    plugins = Plugins()
    plugins.handle_alert(_breach_alert())
    assert plugins.sink_errors == []
