"""Incident reports from a real healer (uvicorn, SQLite, a real child process) with recorded Prometheus
answers: the Markdown and the HTML carry the timeline, the evidence and the budget spent; the HTML is
self-contained (checked statically always, and in headless chromium when it is installed)."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from slostack.healer.report import incident_report
from slostack.local.supervisor import Supervisor
from tests.healer.harness import ALERT_LABELS, AUTH, Recorder, alert, message, policy, wait_for

from .recorded import HEALTHY, key_for

CHROMIUM = Path("/usr/bin/chromium")
LABELS = ALERT_LABELS


def _prometheus(readings: dict[str, Any]) -> Recorder:
    def respond(method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        expr = query.get("query", [""])[0]
        if path == "/api/v1/query_range":
            start, end, step = (float(query[k][0]) for k in ("start", "end", "step"))
            burn = "burn_rate" in expr
            values = []
            t = start
            while t <= end:
                values.append([t, "14.4" if burn else "0.985"])
                t += step
            data = {"resultType": "matrix", "result": [{"metric": {}, "values": values}]}
            return 200, {"status": "success", "data": data}
        if "time_period:days" in expr:
            value: Any = 30
        else:
            value = readings.get(key_for(expr) or "")
        result = [] if value is None else [{"metric": {}, "value": [time.time(), str(value)]}]
        return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}

    return Recorder(respond)


class _Refs(HTMLParser):
    """Every attribute that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("link", "script", "img", "iframe", "object", "embed"):
            self.refs.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action") and value:
                self.refs.append(f"{tag} {name}={value}")


def test_reports_in_markdown_and_html(make_healer, checkout: Supervisor, tmp_path: Path) -> None:
    started = datetime.fromtimestamp(time.time() - 120, UTC).isoformat().replace("+00:00", "Z")
    state = tmp_path / "healer.db"
    with _prometheus({**HEALTHY, "restarts": 4, "up": 0, "error_ratio": 0.4}) as prom:
        p = policy(policy0={"cooldown": "100ms", "verify_for": "5s", "ladder": [{"action": "auto"}]})
        h = make_healer(p, supervisor=checkout, prometheus_url=prom.url, state=state)
        firing = alert(starts_at=started, labels=LABELS)
        with h.client(headers=AUTH) as c:
            c.post("/v1/alerts", json=message(firing)).raise_for_status()
            wait_for(lambda: [a for a in c.get("/v1/actions").json() if a["outcome"] == "ok"], 10)
            resolved = {**firing, "status": "resolved"}
            c.post("/v1/alerts", json=message(resolved)).raise_for_status()
            inc = wait_for(
                lambda: [i for i in c.get("/v1/incidents").json() if i["status"] == "resolved"], 10
            )
            iid = inc[0]["id"]
            md = c.get(f"/v1/incidents/{iid}/report", params={"format": "md"})
            html = c.get(f"/v1/incidents/{iid}/report", params={"format": "html"})
            assert c.get(f"/v1/incidents/{iid}/report", params={"format": "pdf"}).status_code == 422
            assert c.get("/v1/incidents/999/report").status_code == 404
            # The CLI's function reads the same state file while the healer still runs.
            offline = incident_report(state, iid, "md", prom.url)
        with h.client() as anon:
            assert anon.get(f"/v1/incidents/{iid}/report").status_code == 401

    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    text = md.text
    for part in (
        "# Incident",
        "## Timeline",
        "started firing",
        "diagnosis",
        "crash_loop",
        "restart: ok",
        "recovered",
        "### Evidence",
        "### Hypotheses",
        "restarts in 2",
    ):
        assert part in text, part
    # 2+ minutes at a burn rate of 14.4 of a 30-day budget: about 0.07%.
    spent = text.split("error budget spent during the incident**: ")[1].split("%")[0]
    assert 0.04 < float(spent) < 0.2, spent
    assert offline.split("## Timeline")[1].split("|")[5:9] == text.split("## Timeline")[1].split("|")[5:9]

    page = html.text
    assert html.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert page.count("<svg") == 2 and "<polyline" in page and "crash_loop" in page
    refs = _Refs()
    refs.feed(page)
    assert refs.refs == []
    assert "url(" not in page and "@import" not in page
    assert [
        u for u in ("http://", "https://") if page.replace("http://www.w3.org/2000/svg", "").count(u)
    ] == []
    (tmp_path / "report.html").write_text(page, encoding="utf-8")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (Debian's chromium)")
def test_html_report_renders_in_headless_chromium_offline(tmp_path: Path) -> None:
    from slostack.healer.report.data import Charts
    from slostack.healer.report.render import render_html
    from slostack.healer.store import Incident, IncidentRecord

    now = time.time()
    inc = Incident(
        1,
        "f",
        "2026-01-02T03:04:05Z",
        "CheckoutAvailabilityBurn",
        LABELS,
        0,
        "checkout",
        "availability",
        "recovered",
        1,
        True,
        now - 300,
        now,
        "restart worked",
    )
    charts = Charts(
        now - 900, now, sli=((now - 600, 0.99), (now, 0.999)), burn=((now - 600, 14.0), (now, 0.5))
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(IncidentRecord(inc, (), ()), charts), encoding="utf-8")
    run, hosts = _chromium(page, tmp_path / "profile-report")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Incident 1: CheckoutAvailabilityBurn" in run.stdout and "<svg" in run.stdout
    # Chromium itself calls home (time, updates, accounts) even for an empty page, whatever the flags:
    # the report must not make it request any host that an empty page does not.
    empty = tmp_path / "empty.html"
    empty.write_text("<!doctype html><title>empty</title>", encoding="utf-8")
    _, baseline = _chromium(empty, tmp_path / "profile-empty")
    assert hosts <= baseline, sorted(hosts - baseline)


def _chromium(page: Path, profile: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    run = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=1",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    requested = re.findall(r"NotifyBeforeURLRequest: (https?://[^/\s]+)", run.stderr)
    return run, set(requested)
