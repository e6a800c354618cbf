"""Prometheus rules for a spec: SLI recordings, SLO metadata, burn-rate alerts and guards.

Builds the rule groups as data (so tests, `explain` and the consistency check can read them) and
formats them through the `slo_rules.yml.j2` template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import conventions as names
from ..spec.durations import Duration
from ..spec.model import SLO, Spec, Tier
from .options import RenderOptions
from .sli import error_rate_expr, error_ratio_expr, total_rate_expr, total_selector
from .templates import render_template
from .windows import AlertWindow, BurnPlan, burn_plan

__all__ = ["Rule", "RuleGroup", "render_rules", "rule_groups", "scrape_job"]


@dataclass(frozen=True)
class Rule:
    expr: str
    record: str | None = None
    alert: str | None = None
    for_: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    comment: str | None = None

    def as_template(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "alert": self.alert,
            "expr": self.expr,
            "for": self.for_,
            "labels": self.labels,
            "annotations": self.annotations,
            "comment": self.comment,
        }


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Rule, ...]
    interval: str | None = None


_PACE = {"page": "fast", "ticket": "steadily"}


def _pct(ratio: Decimal) -> str:
    return format((ratio * 100).normalize(), "f") + "%"


def scrape_job(spec: Spec, slo: SLO | None = None) -> str | None:
    """The Prometheus job whose `up` says the service is scraped, if the spec tells."""
    if spec.service is not None:
        return spec.service.scrape_job
    if slo is not None:
        selector = total_selector(slo)
        if selector is not None:
            return selector.label_value("job")
    return None


class _SloRules:
    def __init__(self, spec: Spec, slo: SLO, options: RenderOptions) -> None:
        self.spec, self.slo = spec, slo
        self.names = names.SLOTH_LABELS if options.sloth_labels else names.SLOSTACK_LABELS
        self.plan: BurnPlan = burn_plan(slo, spec.scrape_interval)
        self.ids = {self.names.id: slo.slo_id, self.names.service: slo.service, self.names.slo: slo.name}
        self.match = f'{{{self.names.id}="{slo.slo_id}"}}'

    def sli(self) -> RuleGroup:
        rules = []
        base = str(self.plan.period_base)
        error_rate, total_rate = error_rate_expr(self.slo, base), total_rate_expr(self.slo, base)
        if error_rate and total_rate:
            rules.append(
                Rule(
                    record=names.sli_error_rate(base),
                    expr=error_rate,
                    labels={**self.ids, self.names.window: base},
                    comment="failed events per second: the period ratio sums these (true counting)",
                )
            )
            rules.append(
                Rule(
                    record=names.sli_total_rate(base),
                    expr=total_rate,
                    labels={**self.ids, self.names.window: base},
                )
            )
        for window in self.plan.sli_windows[:-1]:
            rules.append(
                Rule(
                    record=names.sli_error_ratio(str(window)),
                    expr=error_ratio_expr(self.slo, str(window)),
                    labels={**self.ids, self.names.window: str(window)},
                )
            )
        period = str(self.slo.window)
        if error_rate and total_rate:
            # Sum events over the whole period instead of averaging 5m ratios: a quiet night with one
            # failure must not weigh as much as a busy hour.
            expr = (
                f"sum_over_time({names.sli_error_rate(base)}{self.match}[{period}])\n/\n"
                f"sum_over_time({names.sli_total_rate(base)}{self.match}[{period}])"
            )
        else:
            expr = f"avg_over_time({names.sli_error_ratio(base)}{self.match}[{period}])"
        rules.append(
            Rule(
                record=names.sli_error_ratio(period),
                expr=expr,
                labels={**self.ids, self.names.window: period},
                comment=f"the whole SLO period ({period})",
            )
        )
        return RuleGroup(names.rule_group(self.slo.service, self.slo.name, "sli"), tuple(rules))

    def meta(self) -> RuleGroup:
        slo, m, ids = self.slo, self.match, self.ids
        on = f"on({self.names.id}, {self.names.service}, {self.names.slo})"
        drop = f"max without ({self.names.window})"
        base, period = str(self.plan.period_base), str(slo.window)
        info_labels = {
            **ids,
            "slo_objective": format(slo.objective, "f"),
            "slo_period": period,
            "slo_sli_kind": slo.sli.kind,
            **self.spec.labels,
        }
        rules = (
            Rule(record=names.OBJECTIVE, expr=f"vector({slo.objective_ratio})", labels=ids),
            Rule(record=names.ERROR_BUDGET, expr=f"vector({slo.error_budget})", labels=ids),
            Rule(record=names.TIME_PERIOD_DAYS, expr=f"vector({_days(slo.window)})", labels=ids),
            Rule(
                record=names.CURRENT_BURN_RATE,
                expr=f"{drop} ({names.sli_error_ratio(base)}{m})\n/ {on}\n{names.ERROR_BUDGET}{m}",
                labels=ids,
            ),
            Rule(
                record=names.PERIOD_BURN_RATE,
                expr=f"{drop} ({names.sli_error_ratio(period)}{m})\n/ {on}\n{names.ERROR_BUDGET}{m}",
                labels=ids,
            ),
            Rule(record=names.PERIOD_BUDGET_REMAINING, expr=f"1 - {names.PERIOD_BURN_RATE}{m}", labels=ids),
            Rule(record=names.SLO_INFO, expr="vector(1)", labels=info_labels),
        )
        return RuleGroup(names.rule_group(slo.service, slo.name, "meta"), rules)

    def alerts(self) -> RuleGroup:
        rules = []
        for tier_name in ("page", "ticket"):
            tier: Tier = getattr(self.slo, tier_name)
            windows = self.plan.tier(tier_name)
            if tier.enabled and windows:
                rules.append(self._burn_alert(tier_name, tier, windows))
        if self.slo.no_data_alert:
            rules.append(self._no_data_alert())
        return RuleGroup(names.rule_group(self.slo.service, self.slo.name, "alerts"), tuple(rules))

    def _gate(self, long: Duration) -> str:
        selector = total_selector(self.slo)
        if selector is None or self.slo.min_events <= 0:
            return ""
        return f"\n  and on()\n  sum(increase({selector}[{long}])) >= {self.slo.min_events}"

    def _burn_alert(self, tier_name: str, tier: Tier, windows: tuple[AlertWindow, ...]) -> Rule:
        drop = f"max without ({self.names.window})"
        pairs = []
        for w in windows:
            pairs.append(
                f"(\n  {drop} ({names.sli_error_ratio(str(w.long))}{self.match} > {w.threshold})\n"
                f"  and\n  {drop} ({names.sli_error_ratio(str(w.short))}{self.match} > {w.threshold})"
                f"{self._gate(w.long)}\n)"
            )
        slo = self.slo
        labels = {
            **self.spec.labels,
            **slo.alert_labels,
            **tier.labels,
            **self.ids,
            "slo_severity": tier_name,
            "severity": tier.severity,
        }
        budget_note = " or ".join(f"{_pct(w.budget_share)} within {w.long}" for w in windows)
        factors = " or ".join(f"{w.factor}x over {w.long} (and {w.short})" for w in windows)
        annotations = {
            "summary": f"{slo.service} {slo.name}: error budget burning {_PACE[tier_name]}",
            "description": (
                f"The {slo.name} SLO of {slo.service} ({format(slo.objective, 'f')}% over {slo.window}) "
                f"is burning its error budget at {factors}. Firing means at least {budget_note} of the "
                f"{slo.window} error budget was spent." + (f" {slo.description}" if slo.description else "")
            ),
            **slo.alert_annotations,
            **tier.annotations,
        }
        return Rule(
            alert=slo.alert_name,
            expr="\nor\n".join(pairs),
            labels=dict(sorted(labels.items())),
            annotations=annotations,
            comment=f"{tier_name}: {budget_note} of the error budget",
        )

    def _no_data_alert(self) -> Rule:
        base = str(self.plan.period_base)
        expr = f"absent({names.sli_error_ratio(base)}{self.match})"
        job = scrape_job(self.spec, self.slo)
        if job:
            expr += f'\nand on()\nsum(up{{job="{job}"}}) > 0'
        slo = self.slo
        labels = {
            **self.spec.labels,
            **slo.alert_labels,
            **self.ids,
            "slo_severity": "ticket",
            "severity": slo.ticket.severity,
        }
        wait = self.plan.tier("page")[-1].short if self.plan.tier("page") else self.plan.period_base
        return Rule(
            alert=names.no_data_alert_name(slo.alert_name),
            expr=expr,
            for_=str(wait),
            labels=dict(sorted(labels.items())),
            annotations={
                "summary": f"{slo.service} {slo.name}: the SLI has no data",
                "description": f"The target is scraped but the SLI of {slo.slo_id} returns "
                "nothing: the selectors match no series. Check the metric "
                "names and labels in the spec.",
            },
            comment="guard: an SLO that silently measures nothing can never alert",
        )


def _days(window: Duration) -> str:
    return format((Decimal(window.ms) / 86_400_000).normalize(), "f")


def _service_group(spec: Spec, options: RenderOptions) -> RuleGroup | None:
    service = spec.service
    if service is None:
        return None
    job = service.scrape_job
    label_names = names.SLOTH_LABELS if options.sloth_labels else names.SLOSTACK_LABELS
    # Crash detection must be quick for healing to matter: a few scrapes, not kube-prometheus' 10m.
    wait = Duration(service.scrape_interval.ms * 3)
    rules: list[Rule] = [
        Rule(
            alert=names.target_down_alert_name(spec.name),
            expr=f'sum(up{{job="{job}"}}) == 0\nor\nabsent(up{{job="{job}"}})',
            for_=str(wait),
            labels=_page_labels(spec, label_names),
            annotations={
                "summary": f"{spec.name}: no target of job {job} is up",
                "description": f"Prometheus cannot scrape any instance of {spec.name} (job {job}). "
                "SLO alerts of this service are inhibited while this fires.",
            },
            comment="the service is down: no SLI can be measured, so this pages instead",
        )
    ]
    if service.memory_limit:
        rules.append(_memory_rule(spec, job, service.memory_limit, wait, label_names))
        rules.append(
            _memory_exhaustion_rule(spec, job, service.memory_limit, service.scrape_interval, label_names)
        )
    rules.append(_restart_loop_rule(spec, job, service.scrape_interval, label_names))
    if _is_sample_app(spec):
        rules.extend(_sample_app_rules(job))
    return RuleGroup(f"slostack-{spec.name}-service", tuple(rules))


def _memory_rule(spec: Spec, job: str, limit: int, wait: Duration, label_names: names.LabelNames) -> Rule:
    # At 90% of the limit there is still time to restart cleanly before the OOM killer does it
    # mid-request; the SLO itself would only notice once requests fail.
    threshold = limit * 9 // 10
    return Rule(
        alert=names.memory_high_alert_name(spec.name),
        expr=f'max(process_resident_memory_bytes{{job="{job}"}}) > {threshold}',
        for_=str(wait),
        labels=_page_labels(spec, label_names),
        annotations={
            "summary": f"{spec.name}: memory above 90% of its {limit // (1024 * 1024)}Mi limit",
            "description": f"An instance of {spec.name} uses more than {threshold} bytes of resident "
            "memory; it will be killed at the limit.",
        },
        comment="saturation: memory close to the limit from service.resources",
    )


# Saturation policy, as data. Windows count scrapes, so the drill profile (1s scrapes) shrinks them
# with everything else; at the default 15s scrape they are 5m and 15m. Memory: the trend of the last
# EXHAUSTION_LOOKBACK_SCRAPES, extended EXHAUSTION_HORIZON_SCRAPES ahead, crosses the limit; only above
# EXHAUSTION_FLOOR of it, so a process warming up (its memory rises fast from nothing) does not page.
# Restarts: one instance started more than RESTARTS_MAX times within RESTARTS_WINDOW_SCRAPES; a deploy or
# a rollback restarts each instance once.
EXHAUSTION_LOOKBACK_SCRAPES = 20
EXHAUSTION_HORIZON_SCRAPES = 60
EXHAUSTION_FLOOR = (1, 2)  # half the limit
RESTARTS_WINDOW_SCRAPES = 60
RESTARTS_MAX = 2


def _page_labels(spec: Spec, label_names: names.LabelNames, tier: str = "page") -> dict[str, str]:
    labels = {**spec.labels, label_names.service: spec.name, "slo_severity": tier, "severity": tier}
    return dict(sorted(labels.items()))


def _memory_exhaustion_rule(
    spec: Spec, job: str, limit: int, scrape: Duration, label_names: names.LabelNames
) -> Rule:
    # Catches a leak long before MemoryHigh (90%) and before any request fails: the SLO cannot see it.
    floor = limit * EXHAUSTION_FLOOR[0] // EXHAUSTION_FLOOR[1]
    rss = f'process_resident_memory_bytes{{job="{job}"}}'
    lookback = Duration(scrape.ms * EXHAUSTION_LOOKBACK_SCRAPES)
    horizon_d = Duration(scrape.ms * EXHAUSTION_HORIZON_SCRAPES)
    horizon = horizon_d.ms // 1000
    wait = Duration(scrape.ms * 3)
    return Rule(
        alert=names.memory_exhaustion_alert_name(spec.name),
        expr=f"max(\n  predict_linear({rss}[{lookback}], {horizon}) > {limit}\n  and\n  {rss} > {floor}\n)",
        for_=str(wait),
        labels=_page_labels(spec, label_names),
        annotations={
            "summary": f"{spec.name}: memory will reach its {limit // (1024 * 1024)}Mi limit "
            f"within {horizon_d}",
            "description": f"Resident memory of an instance of {spec.name} grows fast enough to hit the "
            f"limit within {horizon_d} (trend of the last {lookback}); it will then be killed.",
        },
        comment="saturation: memory exhaustion predicted from the trend, against service.resources",
    )


def _restart_loop_rule(spec: Spec, job: str, scrape: Duration, label_names: names.LabelNames) -> Rule:
    # Per instance: a rollout of N replicas restarts N processes once each, which is not a loop.
    window = Duration(scrape.ms * RESTARTS_WINDOW_SCRAPES)
    return Rule(
        alert=names.restart_loop_alert_name(spec.name),
        expr=f'max(changes(process_start_time_seconds{{job="{job}"}}[{window}])) > {RESTARTS_MAX}',
        # A ticket, not a page: the healer's own restarts and every rollout count toward it, and
        # restarting a crash loop again fixes nothing; a person (or `auto` on the page alert) decides.
        labels=_page_labels(spec, label_names, tier="ticket"),
        annotations={
            "summary": f"{spec.name}: an instance restarted more than {RESTARTS_MAX} times in {window}",
            "description": f"An instance of {spec.name} (job {job}) keeps starting again: a crash loop. "
            "Target-down may not fire if it comes back between scrapes.",
        },
        comment="saturation: restarts in a window (crash loop)",
    )


def _is_sample_app(spec: Spec) -> bool:
    service = spec.service
    return service is not None and (service.build == "sample_app" or "sample-app" in (service.image or ""))


def _sample_app_rules(job: str) -> list[Rule]:
    # Only the routes that carry user traffic; probes and scrapes would flatter every number.
    sel = f'{{job="{job}",route=~"/ping|/api/.+"}}'
    return [
        Rule(
            record=names.SAMPLE_APP_REQUEST_RATE,
            expr=f"sum(rate(http_requests_total{sel}[1m]))",
            labels={"job": job},
            comment="the sample service's own dashboard series",
        ),
        Rule(
            record=names.SAMPLE_APP_LATENCY_P95,
            expr="histogram_quantile(0.95, sum by (le) (\n"
            f"  rate(http_request_duration_seconds_bucket{sel}[5m])\n))",
            labels={"job": job},
        ),
        Rule(
            record=names.SAMPLE_APP_AVAILABILITY,
            expr=(
                f'1 - (\n  (sum(rate(http_requests_total{sel[:-1]},code=~"5.."}}[5m])) or vector(0))\n'
                f"  /\n  sum(rate(http_requests_total{sel}[5m]))\n)"
            ),
            labels={"job": job},
        ),
    ]


# One render asks for the rule groups several times (rules, their tests, the consistency check);
# the last result is kept, keyed on the very Spec object and the (hashable, frozen) options.
_last: tuple[Spec, RenderOptions, tuple[RuleGroup, ...]] | None = None


def rule_groups(spec: Spec, options: RenderOptions | None = None) -> tuple[RuleGroup, ...]:
    global _last
    options = options or RenderOptions()
    if _last is not None and _last[0] is spec and _last[1] == options:
        return _last[2]
    groups = _build_groups(spec, options)
    _last = (spec, options, groups)
    return groups


def _build_groups(spec: Spec, options: RenderOptions) -> tuple[RuleGroup, ...]:
    groups: list[RuleGroup] = []
    for slo in spec.slos:
        built = _SloRules(spec, slo, options)
        groups.extend((built.sli(), built.meta(), built.alerts()))
    service = _service_group(spec, options)
    if service is not None:
        groups.append(service)
    return tuple(groups)


def render_rules(spec: Spec, options: RenderOptions) -> dict[str, str]:
    groups = rule_groups(spec, options)
    text = render_template(
        "slo_rules.yml.j2",
        options.templates,
        spec=spec,
        spec_file=_display_name(spec.source),
        groups=[
            {"name": g.name, "interval": g.interval, "rules": [r.as_template() for r in g.rules]}
            for g in groups
        ],
    )
    return {names.rules_file(spec.name): text}


def _display_name(source: str) -> str:
    # Only the file name: an absolute path would make the bundle differ between machines.
    return source.replace("\\", "/").rsplit("/", 1)[-1]
