"""`alertmanager/alertmanager.yml` and its routing cases, from the spec's `alerting` section.

Route tree: alerts of this service are split on `slo_severity`; a page goes to every page receiver
and (with `continue`) to the healer, a ticket to the ticket receivers, anything else to the null
receiver `default`. Written for the Alertmanager the local runtime installs (Debian's 0.25), which
checks it with `amtool check-config`:

- slack `api_url_file`, pagerduty `routing_key_file`, email `auth_password_file` and
  `http_config.authorization.credentials_file` are read from files natively;
- a webhook URL cannot come from a file in 0.25, and it is a secret (it often embeds a token), so it
  is never written here: the notification goes to the healer's relay endpoint with the healer's
  bearer token, and the healer posts it to the URL it reads from the receiver's `url_file`. Without a
  healer there is no safe way, and rendering stops with an error saying so.

Relative secret paths are resolved by Alertmanager from this file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import conventions as names
from ..spec.durations import Duration
from ..spec.model import Receiver, Spec
from .errors import RenderError
from .options import RenderOptions
from .rules import rule_groups
from .stack import endpoints, has_healer
from .yaml_text import yaml_document

__all__ = [
    "RouteCase",
    "Timing",
    "alertmanager_config",
    "render_alertmanager",
    "route_cases",
    "tier_receivers",
]

SEVERITY = "slo_severity"
TIERS = ("page", "ticket")


@dataclass(frozen=True)
class Timing:
    group_wait: Duration
    group_interval: Duration
    repeat_interval: Duration

    def as_config(self) -> dict[str, str]:
        return {
            "group_wait": str(self.group_wait),
            "group_interval": str(self.group_interval),
            "repeat_interval": str(self.repeat_interval),
        }


def _d(text: str) -> Duration:
    return Duration.parse(text)


# A page must reach the healer and on-call within seconds and remind hourly; a ticket can batch for a
# minute and remind twice a day. The root only handles what no tier claims (sent nowhere).
_TIMING = {
    "page": Timing(_d("10s"), _d("1m"), _d("1h")),
    "ticket": Timing(_d("1m"), _d("10m"), _d("12h")),
}
_ROOT = Timing(_d("30s"), _d("5m"), _d("4h"))


def _timing(spec: Spec, base: Timing) -> Timing:
    """The spec's `group_wait`/`group_interval`/`repeat_interval` apply to every tier (the drill profile
    shortens them)."""
    wait = spec.alerting.group_wait or base.group_wait
    repeat = spec.alerting.repeat_interval or base.repeat_interval
    interval = spec.alerting.group_interval or min(base.group_interval, repeat)
    return Timing(wait, interval, repeat)


def tier_receivers(spec: Spec, tier: str) -> list[str]:
    """Receivers of one tier, in notification order; the healer hears every page of its service."""
    chosen = list(getattr(spec.alerting.routes, tier))
    if tier == "page" and has_healer(spec):
        chosen.append(names.HEALER_RECEIVER)
    return chosen


def _labels(options: RenderOptions) -> names.LabelNames:
    return names.SLOTH_LABELS if options.sloth_labels else names.SLOSTACK_LABELS


def _route(spec: Spec, options: RenderOptions) -> dict[str, Any]:
    labels = _labels(options)
    routes = []
    for tier in TIERS:
        receivers = tier_receivers(spec, tier)
        if not receivers:
            continue  # unclaimed alerts fall through to `default`
        routes.append(
            {
                "matchers": [f'{labels.service}="{spec.name}"', f'{SEVERITY}="{tier}"'],
                **_timing(spec, _TIMING[tier]).as_config(),
                # One child per receiver, each with `continue`, because a route has a single receiver.
                "routes": [{"receiver": r, "continue": True} for r in receivers],
            }
        )
    # TargetDown has no SLO id; its alert name is per service, so it still gets a group of its own.
    return {
        "receiver": names.DEFAULT_RECEIVER,
        "group_by": ["alertname", labels.id],
        **_timing(spec, _ROOT).as_config(),
        "routes": routes,
    }


def _inhibit_rules(spec: Spec, options: RenderOptions) -> list[dict[str, Any]]:
    labels = _labels(options)
    has_id = f'{labels.id}=~".+"'
    rules: list[dict[str, Any]] = [
        {
            # The id matcher keeps TargetDown (a page without an id) from inhibiting every ticket.
            "source_matchers": [f'{SEVERITY}="page"', has_id],
            "target_matchers": [f'{SEVERITY}="ticket"'],
            "equal": [labels.id],
        }
    ]
    if spec.service is not None:
        rules.append(
            {
                # A service that cannot be scraped has no SLI: its SLO alerts would only add noise.
                "source_matchers": [f'alertname="{names.target_down_alert_name(spec.name)}"'],
                "target_matchers": [has_id],
                "equal": [labels.service],
            }
        )
    return rules


def _healer_webhook(spec: Spec, options: RenderOptions, path: str, send_resolved: bool) -> dict[str, Any]:
    return {
        "url": f"http://{endpoints(spec, options).healer}{path}",
        "send_resolved": send_resolved,
        "http_config": {"authorization": {"credentials_file": options.healer_token_file}},
    }


def _receiver(spec: Spec, options: RenderOptions, index: int, r: Receiver) -> dict[str, Any]:
    where = f"alerting.receivers[{index}] ({r.name})"
    if r.webhook is not None:
        if not has_healer(spec):
            raise RenderError(
                f"{where}: Alertmanager 0.25 cannot read a webhook URL from url_file and slostack never "
                "writes a secret inline; it relays webhooks through the healer, which this spec does not "
                "run (it needs a service and healing enabled): use a slack, pagerduty or email receiver"
            )
        relay = _healer_webhook(spec, options, names.healer_relay_path(r.name), r.webhook.send_resolved)
        if r.webhook.max_alerts:
            relay["max_alerts"] = r.webhook.max_alerts
        return {"name": r.name, "webhook_configs": [relay]}
    if r.slack is not None:
        slack: dict[str, Any] = {"api_url_file": r.slack.api_url_file, "send_resolved": r.slack.send_resolved}
        if r.slack.channel:
            slack["channel"] = r.slack.channel
        return {"name": r.name, "slack_configs": [slack]}
    if r.pagerduty is not None:
        return {
            "name": r.name,
            "pagerduty_configs": [
                {"routing_key_file": r.pagerduty.routing_key_file, "send_resolved": r.pagerduty.send_resolved}
            ],
        }
    email = r.email
    assert email is not None  # spec/v1.py guarantees exactly one kind
    if not email.from_:
        raise RenderError(f"{where}: email needs 'from' (slostack sets no global smtp_from)")
    config: dict[str, Any] = {
        "to": email.to,
        "from": email.from_,
        "smarthost": email.smarthost,
        "require_tls": email.require_tls,
        "send_resolved": email.send_resolved,
    }
    if email.auth_username:
        config["auth_username"] = email.auth_username
    if email.auth_password_file:
        config["auth_password_file"] = email.auth_password_file
    return {"name": r.name, "email_configs": [config]}


def _receivers(spec: Spec, options: RenderOptions) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"name": names.DEFAULT_RECEIVER}]  # null: unclaimed alerts stop here
    for i, r in enumerate(spec.alerting.receivers):
        if r.name == names.DEFAULT_RECEIVER:
            raise RenderError(
                f"alerting.receivers[{i}]: {r.name!r} is the receiver slostack adds for unrouted alerts; "
                "choose another name"
            )
        out.append(_receiver(spec, options, i, r))
    if has_healer(spec):
        out.append(
            {
                "name": names.HEALER_RECEIVER,
                "webhook_configs": [_healer_webhook(spec, options, names.HEALER_ALERTS_PATH, True)],
            }
        )
    return out


def alertmanager_config(spec: Spec, options: RenderOptions) -> dict[str, Any]:
    return {
        "route": _route(spec, options),
        "inhibit_rules": _inhibit_rules(spec, options),
        "receivers": _receivers(spec, options),
    }


@dataclass(frozen=True)
class RouteCase:
    """An alert's labels and the receivers Alertmanager must hand it to, in order."""

    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]

    def as_data(self) -> dict[str, Any]:
        return {"name": self.name, "labels": self.labels, "receivers": list(self.receivers)}


def _expected(spec: Spec, labels: dict[str, str], service_label: str) -> tuple[str, ...]:
    tier = labels.get(SEVERITY, "")
    if labels.get(service_label) != spec.name or tier not in TIERS:
        return (names.DEFAULT_RECEIVER,)
    return tuple(tier_receivers(spec, tier)) or (names.DEFAULT_RECEIVER,)


def route_cases(spec: Spec, options: RenderOptions) -> tuple[RouteCase, ...]:
    """Alerts the rules raise, with their real labels, one per kind, plus alerts nobody claims.

    Routing reads only the service and the tier, so one alert per tier and label set (an SLO burn,
    the service's TargetDown, which has no SLO id) proves it; a case per alert of a 1,000-SLO spec
    would prove nothing more.
    """
    service_label = _labels(options).service
    cases: dict[str, RouteCase] = {}
    kinds: set[tuple[str, frozenset[str]]] = set()
    for group in rule_groups(spec, options):
        for rule in group.rules:
            kind = (rule.labels.get(SEVERITY, ""), frozenset(rule.labels))
            if rule.alert is None or kind in kinds:
                continue
            kinds.add(kind)
            labels = {"alertname": rule.alert, **rule.labels}
            expected = _expected(spec, labels, service_label)
            name = f"{rule.alert} ({labels.get(SEVERITY, 'no tier')}) goes to {', '.join(expected)}"
            cases[name] = RouteCase(name, labels, expected)
    strangers = {
        "an alert of no service and no tier": {"alertname": "Watchdog"},
        "a page of another service": {
            "alertname": "OtherServiceBurn",
            service_label: f"not-{spec.name}",
            SEVERITY: "page",
        },
    }
    for what, labels in strangers.items():
        expected = _expected(spec, labels, service_label)
        name = f"{what} goes to {', '.join(expected)}"
        cases[name] = RouteCase(name, labels, expected)
    return tuple(cases.values())


def render_alertmanager(spec: Spec, options: RenderOptions) -> dict[str, str]:
    header = (
        f"Generated by slostack for service {spec.name}. Do not edit: change the spec's `alerting`.\n"
        "Secrets are read from files; relative paths resolve from this file's folder."
    )
    if any(r.webhook is not None for r in spec.alerting.receivers):
        header += (
            "\nWebhook receivers go through the healer's relay (Alertmanager 0.25 has no webhook url_file)."
        )
    config = yaml_document(header, alertmanager_config(spec, options))
    cases_header = (
        "Routing cases: each alert's labels and the receivers it must reach, in order.\n"
        "Checked with `amtool config routes test --verify.receivers=...` (see slostack.checks.amtool)."
    )
    cases = yaml_document(cases_header, {"cases": [c.as_data() for c in route_cases(spec, options)]})
    return {names.ALERTMANAGER_CONFIG: config, names.ALERTMANAGER_ROUTE_TESTS: cases}
