"""A `promtool test rules` file per spec: each SLO's alerts fire on a full outage, stay silent on
healthy traffic and on one lonely failure, and the no-data guard fires when the SLI matches nothing.

Input series are synthesized from the spec's own selectors, so the test proves that the selectors,
the recording rules and the alerts fit together, not just that the YAML parses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .. import conventions as names
from ..spec.durations import Duration
from ..spec.model import SLO, EventsSLI, LatencySLI, Spec
from ..spec.selectors import Matcher, Selector, parse_selector
from .options import RenderOptions
from .regex_sample import sample_matching, sample_not_matching
from .rules import Rule, rule_groups, scrape_job
from .sli import bucket_selectors
from .windows import burn_plan
from .yaml_out import block_yaml

__all__ = ["render_rule_tests"]

RATE = 10  # events per sample interval in the synthetic traffic
OUTAGE_STEPS = 10


class _Unsatisfiable(Exception):
    pass


def _value_for(matchers: list[Matcher]) -> str:
    """A label value satisfying every matcher given for one label."""
    candidates: list[str] = []
    for m in matchers:
        if m.op == "=":
            candidates.append(m.value)
        elif m.op == "=~":
            candidates.append(sample_matching(m.value))
        elif m.op == "!~":
            candidates.append(sample_not_matching(m.value))
    candidates += ["slostack_other", "200", "x"]
    for value in candidates:
        if all(_ok(m, value) for m in matchers):
            return value
    raise _Unsatisfiable(f"no value satisfies {', '.join(map(str, matchers))}")


def _ok(m: Matcher, value: str) -> bool:
    import re

    if m.op == "=":
        return value == m.value
    if m.op == "!=":
        return value != m.value
    full = re.fullmatch(m.value, value) is not None
    return full if m.op == "=~" else not full


def _labels(*selectors: Selector, violate: Selector | None = None) -> dict[str, str]:
    by_label: dict[str, list[Matcher]] = {}
    for sel in selectors:
        for m in sel.matchers:
            by_label.setdefault(m.name, []).append(m)
    out = {name: _value_for(ms) for name, ms in by_label.items()}
    if violate is not None:
        extra = [
            m for m in violate.matchers if m.name not in by_label or not all(_ok(m, out[m.name]) for _ in [0])
        ]
        for m in extra:
            opposite = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}[m.op]
            flipped = Matcher(m.name, opposite, m.value)
            try:
                out[m.name] = _value_for([*by_label.get(m.name, []), flipped])
                return out
            except _Unsatisfiable:
                continue
        raise _Unsatisfiable("the errors selector selects every series the total selector does")
    return out


def _series(metric: str, labels: dict[str, str]) -> str:
    return str(Selector(metric, tuple(Matcher(k, "=", v) for k, v in sorted(labels.items()))))


@dataclass(frozen=True)
class _Traffic:
    """Two counters: `good` grows with healthy traffic, `bad` with failing traffic."""

    good: str | None
    bad: str
    total_is_separate: str | None = None  # a third counter when errors and totals are different metrics


def _traffic(slo: SLO) -> _Traffic:
    if isinstance(slo.sli, EventsSLI):
        errors, total = parse_selector(slo.sli.errors), parse_selector(slo.sli.total)
        if errors.metric == total.metric:
            return _Traffic(
                good=_series(total.metric, _labels(total, violate=errors)),
                bad=_series(total.metric, _labels(total, errors)),
            )
        return _Traffic(
            good=None,
            bad=_series(errors.metric, _labels(errors)),
            total_is_separate=_series(total.metric, _labels(total)),
        )
    if not isinstance(slo.sli, LatencySLI):
        raise _Unsatisfiable("a query SLI has no selectors")
    good_bucket, inf_bucket = bucket_selectors(slo.sli)
    # Under the threshold bucket: counts good events only. +Inf: counts all events.
    return _Traffic(
        good=_series(good_bucket.metric, _labels(good_bucket)),
        bad="",
        total_is_separate=_series(inf_bucket.metric, _labels(inf_bucket)),
    )


def _values(segments: list[tuple[int, int]]) -> str:
    """[(steps, increment per step)] -> promtool's expanding notation, as one cumulative counter."""
    parts, value, first = [], 0, True
    for steps, increment in segments:
        if steps <= 0:
            continue
        if first:
            parts.append(f"{value}+{increment}x{steps}")
            value += increment * steps
            first = False
        else:
            value += increment
            parts.append(f"{value}+{increment}x{steps - 1}")
            value += increment * (steps - 1)
    return " ".join(parts)


def _input(traffic: _Traffic, healthy: int, failing: int, lonely: bool = False) -> list[dict[str, str]]:
    """Counters for `healthy` steps of good traffic followed by `failing` steps of errors."""
    good_rate = 0 if lonely else RATE
    fail_rate = 1 if lonely else RATE
    fail_steps = 1 if lonely else failing
    rest = failing - fail_steps
    good = [(healthy, good_rate), (failing, 0)]
    bad = [(healthy, 0), (fail_steps, fail_rate), (rest, 0)]
    total = [(healthy, good_rate), (fail_steps, fail_rate), (rest, 0)]
    out = []
    if traffic.good is not None:
        # latency: the good bucket; events with one metric: the non-error series
        out.append({"series": traffic.good, "values": _values(good)})
    if traffic.bad:
        out.append({"series": traffic.bad, "values": _values(bad)})
    if traffic.total_is_separate:
        out.append({"series": traffic.total_is_separate, "values": _values(total)})
    return out


def _alert_rules(spec: Spec, options: RenderOptions) -> dict[tuple[str, str], Rule]:
    found = {}
    for group in rule_groups(spec, options):
        for rule in group.rules:
            if rule.alert:
                found[(rule.alert, rule.labels.get("slo_severity", ""))] = rule
    return found


def _expect(rule: Rule) -> dict[str, Any]:
    return {"exp_labels": dict(rule.labels), "exp_annotations": dict(rule.annotations)}


def _fmt(steps: int, interval: Duration) -> str:
    return str(Duration(steps * interval.ms))


def _slo_tests(
    spec: Spec, slo: SLO, options: RenderOptions, alerts: dict[tuple[str, str], Rule], job: str | None
) -> list[dict[str, Any]]:
    plan = burn_plan(slo, spec.scrape_interval)
    interval = Duration.parse("1m") if slo.window >= Duration.parse("7d") else spec.scrape_interval
    longest_page = max((w.long for w in plan.tier("page")), default=plan.period_base)
    healthy = max(math.ceil(2 * plan.alerts[0].long.ms / interval.ms), 30)
    healthy = min(healthy, math.ceil(longest_page.ms / interval.ms) + 30)
    steps = healthy + OUTAGE_STEPS
    up = [{"series": f'up{{job="{job}"}}', "values": f"1+0x{steps + 10}"}] if job else []
    burn = slo.alert_name
    firing = [_expect(alerts[(burn, t)]) for t in ("page", "ticket") if (burn, t) in alerts]
    # Guards of this SLO and of its service; other SLOs' guards see no series here and rightly fire.
    other_alerts = [names.no_data_alert_name(burn), names.target_down_alert_name(spec.name)]
    other_alerts = [name for name in other_alerts if (name, "ticket") in alerts or (name, "page") in alerts]
    silent = [{"eval_time": _fmt(healthy, interval), "alertname": burn, "exp_alerts": []}]
    silent += [
        {"eval_time": _fmt(healthy, interval), "alertname": n, "exp_alerts": []}
        for n in sorted(set(other_alerts))
    ]
    try:
        traffic = _traffic(slo)
    except (_Unsatisfiable, ValueError) as exc:
        return [
            {
                "name": f"{slo.slo_id}: skipped, cannot synthesize input series ({exc})",
                "interval": str(interval),
                "input_series": up or [{"series": "slostack_placeholder", "values": "1"}],
                "alert_rule_test": [],
            }
        ]
    tests: list[dict[str, Any]] = [
        {
            "name": f"{slo.slo_id}: healthy traffic never alerts",
            "interval": str(interval),
            "input_series": [*_input(traffic, steps, 0), *up],
            "alert_rule_test": [
                {"eval_time": _fmt(t, interval), "alertname": burn, "exp_alerts": []}
                for t in sorted({healthy // 2, healthy, steps})
            ],
        },
        {
            "name": f"{slo.slo_id}: a full outage fires every enabled tier",
            "interval": str(interval),
            "input_series": [*_input(traffic, healthy, OUTAGE_STEPS), *up],
            "alert_rule_test": [
                *silent,
                {"eval_time": _fmt(steps, interval), "alertname": burn, "exp_alerts": firing},
            ],
        },
    ]
    if slo.min_events > 1:
        tests.append(
            {
                "name": f"{slo.slo_id}: one failed request in a quiet hour does not page",
                "interval": str(interval),
                "input_series": [*_input(traffic, healthy, OUTAGE_STEPS, lonely=True), *up],
                "alert_rule_test": [
                    {"eval_time": _fmt(healthy + t, interval), "alertname": burn, "exp_alerts": []}
                    for t in (1, 3, OUTAGE_STEPS)
                ],
            }
        )
    no_data = names.no_data_alert_name(burn)
    rule = alerts.get((no_data, "ticket"))
    if rule is not None and job:
        wait = Duration.parse(rule.for_ or "1m")
        after = math.ceil(wait.ms / interval.ms) + 5
        tests.append(
            {
                "name": f"{slo.slo_id}: an SLI matching no series raises the no-data alert",
                "interval": str(interval),
                "input_series": [{"series": f'up{{job="{job}"}}', "values": f"1+0x{after + 5}"}],
                "alert_rule_test": [
                    {"eval_time": _fmt(after, interval), "alertname": no_data, "exp_alerts": [_expect(rule)]},
                    {"eval_time": _fmt(after, interval), "alertname": burn, "exp_alerts": []},
                ],
            }
        )
    return tests


def render_rule_tests(spec: Spec, options: RenderOptions) -> dict[str, str]:
    alerts = _alert_rules(spec, options)
    tests: list[dict[str, Any]] = []
    for slo in spec.slos:
        tests.extend(_slo_tests(spec, slo, options, alerts, scrape_job(spec, slo)))
    skipped = [s.slo_id for s in spec.slos if s.sli.kind == "query"]
    tests = [t for t in tests if t.get("alert_rule_test")]
    rules_rel = "../rules/" + names.rules_file(spec.name).rsplit("/", 1)[-1]
    doc = {"rule_files": [rules_rel], "evaluation_interval": str(spec.evaluation_interval), "tests": tests}
    header = (
        "# Generated by slostack: run with `promtool test rules` (or `slostack test SPEC`).\n"
        "# Input series are synthesized from the spec's selectors.\n"
    )
    if skipped:
        header += (
            "# Query SLIs have no selectors to synthesize series from; not tested here: "
            + ", ".join(skipped)
            + "\n"
        )
    body = block_yaml(doc, depth=5)
    return {names.rules_test_file(spec.name): header + body}
