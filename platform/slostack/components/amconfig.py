"""The rendered alertmanager.yml, restated as a prometheus-operator `AlertmanagerConfig` spec.

This is a change of notation, not a second renderer: the route tree, inhibitions and receivers are
render's, field for field; only snake_case becomes camelCase, matcher strings become objects, and the
healer token file becomes a reference to the Secret holding it. Receivers the operator would need
other Secrets for (Slack, PagerDuty, email) are refused with a clear message.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["AlertmanagerConfigError", "alertmanager_config_spec", "parse_matcher"]

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$')
_ROUTE_KEYS = {
    "receiver": "receiver",
    "group_by": "groupBy",
    "group_wait": "groupWait",
    "group_interval": "groupInterval",
    "repeat_interval": "repeatInterval",
    "continue": "continue",
    "mute_time_intervals": "muteTimeIntervals",
    "active_time_intervals": "activeTimeIntervals",
}


class AlertmanagerConfigError(ValueError):
    """The rendered config uses something an AlertmanagerConfig cannot say."""


def parse_matcher(text: str) -> dict[str, str]:
    m = _MATCHER.match(text)
    if not m:
        raise AlertmanagerConfigError(f"cannot read the matcher {text!r}")
    name, op, quoted, bare = m.groups()
    value = bare if quoted is None else re.sub(r"\\(.)", r"\1", quoted)
    return {"name": name, "value": value, "matchType": op}


def _matchers(node: dict[str, Any], key: str, legacy: str, legacy_re: str) -> list[dict[str, str]]:
    out = [parse_matcher(m) for m in node.get(key) or []]
    out += [
        {"name": k, "value": str(v), "matchType": "="} for k, v in sorted((node.get(legacy) or {}).items())
    ]
    out += [
        {"name": k, "value": str(v), "matchType": "=~"}
        for k, v in sorted((node.get(legacy_re) or {}).items())
    ]
    return out


def _route(node: dict[str, Any]) -> dict[str, Any]:
    route: dict[str, Any] = {_ROUTE_KEYS[k]: v for k, v in node.items() if k in _ROUTE_KEYS}
    matchers = _matchers(node, "matchers", "match", "match_re")
    if matchers:
        route["matchers"] = matchers
    if node.get("routes"):
        route["routes"] = [_route(r) for r in node["routes"]]
    return route


def _inhibit(rule: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sourceMatch": _matchers(rule, "source_matchers", "source_match", "source_match_re"),
        "targetMatch": _matchers(rule, "target_matchers", "target_match", "target_match_re"),
    }
    if rule.get("equal"):
        out["equal"] = list(rule["equal"])
    return out


def _webhook(config: dict[str, Any], token_file: str, secret: str, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {"url": config["url"]}
    if "send_resolved" in config:
        out["sendResolved"] = config["send_resolved"]
    if "max_alerts" in config:
        out["maxAlerts"] = config["max_alerts"]
    auth = (config.get("http_config") or {}).get("authorization")
    if auth:
        if auth.get("credentials_file") != token_file:
            raise AlertmanagerConfigError(
                f"webhook {config['url']}: only the healer token ({token_file}) can be mapped to a Secret"
            )
        out["httpConfig"] = {
            "authorization": {"type": auth.get("type", "Bearer"), "credentials": {"name": secret, "key": key}}
        }
    return out


def alertmanager_config_spec(
    config: dict[str, Any], *, token_file: str, secret: str, key: str
) -> dict[str, Any]:
    """`config` is the parsed alertmanager.yml; `secret`/`key` hold the healer token in the namespace."""
    receivers = []
    for r in config.get("receivers") or []:
        unsupported = sorted(k for k in r if k.endswith("_configs") and k != "webhook_configs")
        if unsupported:
            raise AlertmanagerConfigError(
                f"receiver {r['name']!r} uses {', '.join(unsupported)}: with the prometheus-operator, "
                "configure it in your Alertmanager installation and keep webhook receivers in the spec"
            )
        receiver: dict[str, Any] = {"name": r["name"]}
        if r.get("webhook_configs"):
            receiver["webhookConfigs"] = [_webhook(w, token_file, secret, key) for w in r["webhook_configs"]]
        receivers.append(receiver)
    spec: dict[str, Any] = {"route": _route(config.get("route") or {}), "receivers": receivers}
    if config.get("inhibit_rules"):
        spec["inhibitRules"] = [_inhibit(r) for r in config["inhibit_rules"]]
    return spec
