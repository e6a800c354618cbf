"""Turn pydantic's errors and our cross-field checks into `Problem`s with file positions."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from . import v1
from .errors import Problem
from .yaml_source import Located, Path

__all__ = ["cross_check", "problems_from_validation"]

RESERVED_ALERT_LABELS = {
    "slo_id",
    "slo_service",
    "slo_name",
    "slo_severity",
    "slo_window",
    "sloth_id",
    "sloth_service",
    "sloth_slo",
    "sloth_window",
    "alertname",
}


def _known_fields() -> list[str]:
    names: set[str] = set()
    for item in vars(v1).values():
        if isinstance(item, type) and issubclass(item, BaseModel) and item is not BaseModel:
            for field_name, info in item.model_fields.items():
                names.add(info.alias or field_name)
    return sorted(names)


_FIELDS = _known_fields()


def _message(error: Any, located: Located, path: Path) -> str:
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else "?"
        close = difflib.get_close_matches(name, _FIELDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown field{hint}"
    if kind == "missing":
        return "required field is missing"
    msg: str = error["msg"]
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "literal_error":
        allowed = msg.removeprefix("Input should be ")
        return f"must be {allowed} (got {given!r})"
    text = msg.replace("Input should be", "must be")
    if given is not None and not isinstance(given, (dict, list)):
        text += f" (got {given!r})"
    return text


def problems_from_validation(exc: ValidationError, located: Located) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        path: Path = tuple(part for part in error["loc"] if isinstance(part, (str, int)))
        # A missing field has no position of its own: point at its parent instead.
        message = _message(error, located, path)
        at_key = error["type"] == "extra_forbidden"
        problems.append(located.problem(path, message, key=at_key))
    return problems


def cross_check(spec: v1.SpecFileV1, located: Located) -> list[Problem]:
    """Checks that need more than one field: uniqueness and references between sections."""
    out: list[Problem] = []
    seen_slos: dict[str, int] = {}
    seen_alerts: dict[str, int] = {}
    for i, slo in enumerate(spec.slos):
        if slo.name in seen_slos:
            out.append(
                located.problem(
                    ("slos", i, "name"), f"duplicate SLO name {slo.name!r} (also slos[{seen_slos[slo.name]}])"
                )
            )
        seen_slos.setdefault(slo.name, i)
        name = slo.alerting.name
        if name:
            if name in seen_alerts:
                out.append(
                    located.problem(
                        ("slos", i, "alerting", "name"),
                        f"alert name {name!r} is already used by slos[{seen_alerts[name]}]",
                    )
                )
            seen_alerts.setdefault(name, i)
        for where, labels in (
            ("labels", slo.alerting.labels),
            ("page", slo.alerting.page.labels),
            ("ticket", slo.alerting.ticket.labels),
        ):
            base: Path = (
                ("slos", i, "alerting", "labels")
                if where == "labels"
                else ("slos", i, "alerting", where, "labels")
            )
            for key in sorted(RESERVED_ALERT_LABELS & set(labels)):
                out.append(
                    located.problem(
                        (*base, key), f"label {key!r} is set by slostack and cannot be overridden", key=True
                    )
                )
    receivers = [r.name for r in spec.alerting.receivers]
    for i, name in enumerate(receivers):
        if name in receivers[:i]:
            out.append(located.problem(("alerting", "receivers", i, "name"), f"duplicate receiver {name!r}"))
    for tier in ("page", "ticket"):
        for j, name in enumerate(getattr(spec.alerting.routes, tier)):
            if name not in receivers:
                out.append(
                    located.problem(("alerting", "routes", tier, j), _unknown_receiver(name, receivers))
                )
    healing = spec.healing
    if healing.escalate_to and healing.escalate_to not in receivers:
        out.append(
            located.problem(("healing", "escalate_to"), _unknown_receiver(healing.escalate_to, receivers))
        )
    if healing.policies and spec.service is None:
        out.append(
            located.problem(
                ("healing", "policies"), "healing needs a service to act on; add a `service:` section"
            )
        )
    slo_names = set(seen_slos)
    for i, policy in enumerate(healing.policies):
        base = ("healing", "policies", i)
        wanted = policy.match.get("slo_name")
        if wanted is not None and wanted not in slo_names:
            out.append(
                located.problem(
                    (*base, "match", "slo_name"),
                    f"matches no SLO of this spec (SLOs: {', '.join(sorted(slo_names))})",
                )
            )
        severity = policy.match.get("slo_severity")
        if severity is not None and severity not in ("page", "ticket"):
            out.append(
                located.problem(
                    (*base, "match", "slo_severity"), f"must be page or ticket (got {severity!r})"
                )
            )
        if policy.target is not None and spec.service is not None and policy.target != spec.metadata.name:
            out.append(
                located.problem(
                    (*base, "target"),
                    f"unknown target {policy.target!r}; this spec declares only {spec.metadata.name!r}",
                )
            )
        for j, step in enumerate(policy.actions or ()):
            if step.receiver and step.receiver not in receivers:
                out.append(
                    located.problem(
                        (*base, "actions", j, "receiver"), _unknown_receiver(step.receiver, receivers)
                    )
                )
            if step.action in policy.forbid:
                out.append(
                    located.problem(
                        (*base, "actions", j, "action"),
                        f"{step.action!r} is forbidden by this policy's forbid list",
                    )
                )
        if policy.action in policy.forbid:
            out.append(
                located.problem(
                    (*base, "action"), f"{policy.action!r} is forbidden by this policy's forbid list"
                )
            )
        if policy.confirm is False and policy.confirm_for is not None:
            out.append(
                located.problem(
                    (*base, "confirm_for"), "has no effect with `confirm: false`; drop one of the two"
                )
            )
    return out


def _unknown_receiver(name: str, receivers: list[str]) -> str:
    known = ", ".join(receivers) if receivers else "none declared"
    return f"unknown receiver {name!r} (receivers: {known})"
