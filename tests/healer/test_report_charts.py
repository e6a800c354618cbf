"""The incident report's SLI chart reads the error-ratio rule the rendered policy names for the SLO.

Under the drill profile (1h SLO window, 1s scrapes) the shortest page window is seconds long and no
`ratio_rate5m` rule is rendered: a chart that asked for the 30-day name would say "no data". The fake
Prometheus here answers only the query a correct report asks, and records every query it gets.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest

from slostack import conventions as names
from slostack.healer.prometheus import Sample, Series
from slostack.healer.report import build_report, incident_report, sli_error_queries
from slostack.healer.report.data import chart_margins, chart_step, charts
from slostack.healer.report.render import period_words
from slostack.healer.store import Incident, IncidentRecord, Store
from slostack.local.profiles import apply_profile
from slostack.local.supervisor import Supervisor
from slostack.render.healer_policy import HealerPolicyFile, policy_model
from slostack.render.options import RenderOptions
from slostack.render.rules import render_rules
from slostack.spec import load_spec

from .harness import ALERT_LABELS, AUTH, ROOT, Recorder, write_policy

LABELS = ALERT_LABELS
_RECORD = re.compile(r"^\s*-?\s*record:\s*(\S+)\s*$", re.M)


def _drill_policy() -> HealerPolicyFile:
    return policy_model(
        apply_profile(load_spec(ROOT / "examples" / "checkout.slo.yaml"), "drill"), RenderOptions()
    )


def _drill_records() -> set[str]:
    spec = apply_profile(load_spec(ROOT / "examples" / "checkout.slo.yaml"), "drill")
    return {m for text in render_rules(spec, RenderOptions()).values() for m in _RECORD.findall(text)}


def _expected_sli(policy: HealerPolicyFile) -> str:
    return f"1 - max({policy.slos['availability'].verify_query})"


class RecordingSource:
    """A RangeSource that records every query and has series only for the ones it is given."""

    def __init__(self, answers: dict[str, float]) -> None:
        self.answers = answers
        self.ranges: list[tuple[str, float, float, float]] = []
        self.vectors: list[str] = []

    async def range(self, expr: str, start: float, end: float, step: float, timeout: float) -> list[Series]:
        self.ranges.append((expr, start, end, step))
        if expr not in self.answers:
            return []  # what Prometheus says for a rule that does not exist
        n = int((end - start) // step) + 1
        return [Series({}, tuple((start + i * step, self.answers[expr]) for i in range(n)))]

    async def vector(self, expr: str, timeout: float) -> list[Sample]:
        self.vectors.append(expr)
        return [Sample({}, 1 / 24)] if names.TIME_PERIOD_DAYS in expr else []


def _record(labels: dict[str, str], opened: float, closed: float | None) -> IncidentRecord:
    starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(opened))
    alertname = labels.get("alertname", "X")
    inc = Incident(
        1,
        "f",
        starts,
        alertname,
        labels,
        0,
        "checkout",
        "availability",
        "recovered",
        1,
        True,
        opened,
        closed,
        "",
    )
    return IncidentRecord(inc, (), ())


def test_the_drill_policy_names_a_short_rule_that_the_drill_rules_record() -> None:
    policy = _drill_policy()
    query = policy.slos["availability"].verify_query
    rule = query.split("{")[0]
    assert rule != names.sli_error_ratio("5m")
    assert rule in _drill_records()
    assert names.sli_error_ratio("5m") not in _drill_records()
    assert sli_error_queries(policy) == {c.slo_id: c.verify_query for c in policy.slos.values()}
    assert sli_error_queries(None) == {}


def test_the_sli_chart_reads_the_policys_short_window_rule() -> None:
    policy = _drill_policy()
    burn = f'max({names.CURRENT_BURN_RATE}{{slo_id="checkout-availability"}})'
    source = RecordingSource({_expected_sli(policy): 0.97, burn: 20.0})
    now = time.time()
    c = asyncio.run(
        charts(source, _record(LABELS, now - 90, now - 30), now, sli_errors=sli_error_queries(policy))
    )

    asked = [q for q, *_ in source.ranges]
    assert asked[0] == _expected_sli(policy) and "ratio_rate5m" not in " ".join(asked)
    assert c.note == "" and c.sli and all(v == 0.97 for _, v in c.sli)
    window = policy.slos["availability"].verify_query.split("ratio_rate")[1].split("{")[0]
    assert c.sli_window == window != "5m"
    # 60s at a burn rate of 20 of a 1-hour budget: a third of it.
    assert c.budget_spent is not None and 0.25 < c.budget_spent < 0.45


def test_an_slo_unknown_to_the_policy_falls_back_to_the_5m_rule() -> None:
    policy = _drill_policy()
    labels = {**LABELS, "slo_id": "payments-availability"}
    source = RecordingSource({})
    now = time.time()
    c = asyncio.run(
        charts(source, _record(labels, now - 90, now - 30), now, sli_errors=sli_error_queries(policy))
    )
    assert source.ranges[0][0] == f'1 - max({names.sli_error_ratio("5m")}{{slo_id="payments-availability"}})'
    assert c.sli == () and c.sli_window == "5m"
    # Without a policy at all, the same fallback.
    plain = RecordingSource({})
    asyncio.run(charts(plain, _record(LABELS, now - 90, now - 30), now))
    assert plain.ranges[0][0] == f'1 - max({names.sli_error_ratio("5m")}{{slo_id="checkout-availability"}})'


def test_an_unsafe_slo_id_is_never_looked_up_nor_queried() -> None:
    bad = 'x"} or vector(1) #'
    source = RecordingSource({})
    now = time.time()
    c = asyncio.run(
        charts(
            source, _record({**LABELS, "slo_id": bad}, now - 90, now - 30), now, sli_errors={bad: "vector(1)"}
        )
    )
    assert "not an SLO's" in c.note
    assert source.ranges == [] and source.vectors == []


@pytest.mark.parametrize(
    ("length", "min_points", "max_step"),
    [(8.0, 8, 1.0), (60.0, 20, 3.0), (6 * 3600.0, 100, 180.0)],
)
def test_a_drill_incident_fills_the_chart_and_no_chart_has_more_than_about_120_points(
    length: float, min_points: int, max_step: float
) -> None:
    policy = _drill_policy()
    source = RecordingSource({_expected_sli(policy): 0.99})
    now = time.time()
    c = asyncio.run(
        charts(source, _record(LABELS, now - length, now), now, sli_errors=sli_error_queries(policy))
    )
    (_sli, start, end, step), _burn = source.ranges
    assert 1.0 <= step <= max_step
    assert (end - start) / step <= 121
    # The old fixed 15 min margin and 15 s floor gave an 8 s drill incident no point at all.
    during = [t for t, _ in c.sli if now - length <= t <= now]
    assert len(during) >= min_points, (len(during), step, end - start)


def test_margins_follow_the_sli_window_and_stay_as_they_were_at_30_days() -> None:
    for length in (5.0, 120.0, 3600.0):
        assert chart_margins(300.0, length) == (900.0, 300.0)  # a 5m window: 15 min before, 5 after
    assert chart_margins(4.0, 8.0) == (60.0, 30.0)  # the drill profile's 4s window
    assert chart_margins(4.0, 120.0) == (360.0, 120.0)
    assert chart_margins(4.0, 3600.0) == (900.0, 300.0)


def test_the_step_is_never_finer_than_a_second_nor_coarser_than_120_points() -> None:
    assert chart_step(0.0, 30.0) == 1.0
    assert chart_step(0.0, 300.0) == 2.5  # a one-minute drill incident with its margins
    assert chart_step(0.0, 6 * 3600.0) == 180.0


def test_markdown_report_shows_the_short_window_sli() -> None:
    policy = _drill_policy()
    source = RecordingSource({_expected_sli(policy): 0.97})
    now = time.time()
    text = asyncio.run(
        build_report(_record(LABELS, now - 90, now - 30), source, "md", now=now, policy=policy)
    )
    line = next(x for x in text.splitlines() if x.startswith("- SLI"))
    assert "5m" not in line and "no data" not in line, line
    html = asyncio.run(
        build_report(_record(LABELS, now - 90, now - 30), source, "html", now=now, policy=policy)
    )
    assert "SLI: good ratio (5m)" not in html and "<polyline" in html


def _prometheus_with_only(policy: HealerPolicyFile) -> Recorder:
    """Real HTTP: answers the drill SLI query with a series, every other range query with nothing."""
    wanted = _expected_sli(policy)

    def respond(method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        expr = query.get("query", [""])[0]
        if path == "/api/v1/query_range":
            start, end, step = (float(query[k][0]) for k in ("start", "end", "step"))
            result = []
            if expr == wanted:
                values, t = [], start
                while t <= end:
                    values.append([t, "0.97"])
                    t += step
                result = [{"metric": {}, "values": values}]
            return 200, {"status": "success", "data": {"resultType": "matrix", "result": result}}
        return 200, {"status": "success", "data": {"resultType": "vector", "result": []}}

    return Recorder(respond)


def _state_with_an_incident(path: Path) -> int:
    store = Store(path)
    try:
        now = time.time()
        inc, _ = store.open_incident(
            fingerprint="f1",
            starts_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 90)),
            alertname="CheckoutAvailabilityBurn",
            labels=LABELS,
            policy=0,
            target="checkout",
            slo="availability",
            status="open",
            detail="",
            now=now - 85,
        )
        store.close_incident(inc.id, "recovered", "restart worked", now - 30)
        return inc.id
    finally:
        store.close()


def test_cli_and_api_reports_chart_the_drill_sli(make_healer, supervisor: Supervisor, tmp_path: Path) -> None:
    policy = _drill_policy()
    state = tmp_path / "healer.db"
    iid = _state_with_an_incident(state)
    policy_file = write_policy(tmp_path / "policy.yml", policy)
    with _prometheus_with_only(policy) as prom:
        # `slostack incident show`: the rendered policy file tells the report which rule to read.
        offline = incident_report(state, iid, "md", prom.url, policy_file)
        # Without a readable policy the report still renders, on the 5m fallback (no data here).
        missing = incident_report(state, iid, "md", prom.url, tmp_path / "nope.yml")
        (tmp_path / "bad.yml").write_text("{not: [yaml", encoding="utf-8")
        broken = incident_report(state, iid, "md", prom.url, tmp_path / "bad.yml")
        h = make_healer(policy, supervisor=supervisor, prometheus_url=prom.url, state=state)
        with h.client(headers=AUTH) as c:
            api = c.get(f"/v1/incidents/{iid}/report", params={"format": "md"})
        asked = [r["query"]["query"][0] for r in prom.requests if r["path"] == "/api/v1/query_range"]

    def sli_line(text: str) -> str:
        return next(x for x in text.splitlines() if x.startswith("- SLI"))

    assert api.status_code == 200
    for text in (offline, api.text):
        assert "no data" not in sli_line(text) and "min 0.97" in sli_line(text), sli_line(text)
    for text in (missing, broken):
        assert sli_line(text) == "- SLI (good ratio, 5m): no data"
    assert asked.count(_expected_sli(policy)) == 2


def test_the_budget_names_the_slo_period_in_words() -> None:
    assert [period_words(d) for d in (30, 2, 1 / 24, 0.5 / 24)] == ["30-day", "2-day", "1-hour", "30-minute"]
