"""What changes between two bundles, per artifact, in terms a reviewer reads: rules and alert
thresholds, routes and receivers, scrape jobs, dashboards and panels; other files by their lines.

Pure: it compares two path -> text mappings (rendered from specs, or read from directories).
`diff_format.py` turns the result into text or Markdown.
"""

from __future__ import annotations

import difflib
import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from .. import conventions as names
from .bundle import Bundle
from .healer_policy import POLICY_PATH

__all__ = ["ArtifactDiff", "BundleDiff", "Change", "diff_bundles"]

MANIFEST = "manifest.json"  # derived from the rest: a change shows in the files it digests
Kind = Literal["added", "removed", "changed"]
_RULES_DIR = posixpath.dirname(names.rules_file("x"))
_MAX_INLINE = 90  # longer values are summarized, not printed, in a change line
_MAX_LEAVES = 12


@dataclass(frozen=True)
class Change:
    kind: Kind
    what: str  # e.g. "alert CheckoutAvailabilityBurn (page)"
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArtifactDiff:
    title: str  # e.g. "Prometheus rules"
    path: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class BundleDiff:
    old_digest: str
    new_digest: str
    artifacts: tuple[ArtifactDiff, ...]

    @property
    def equal(self) -> bool:
        return not self.artifacts


def _content_digest(files: Mapping[str, str]) -> str:
    return Bundle({p: t for p, t in files.items() if p != MANIFEST}).digest


def _one_line(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return " ".join(str(text).split())


def _short(value: Any) -> str:
    text = _one_line(value)
    return text if len(text) <= _MAX_INLINE else text[: _MAX_INLINE - 1] + "…"


def _yaml(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _keyed(old: dict[str, Any], new: dict[str, Any], what: str, details: Any) -> Iterable[Change]:
    """Added, removed and changed entries of two dicts keyed by a readable name."""
    for key in sorted(set(old) | set(new)):
        name = f"{what} {key}".strip()
        if key not in old:
            yield Change("added", name)
        elif key not in new:
            yield Change("removed", name)
        elif old[key] != new[key]:
            yield Change("changed", name, tuple(details(old[key], new[key])))


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_flat(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _pair(before: Any, after: Any) -> str:
    """`before → after`; of long values only the part that differs, with a little context."""
    a, b = _one_line(before), _one_line(after)
    if len(a) <= _MAX_INLINE and len(b) <= _MAX_INLINE:
        return f"{a} → {b}"
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1

    def window(text: str, context: int = 24) -> str:
        lo, hi = max(start - context, 0), min(len(text) - end + context, len(text))
        piece = text[lo:hi]
        piece = piece if len(piece) <= _MAX_INLINE else piece[: _MAX_INLINE - 1] + "…"
        return ("…" if lo > 0 else "") + piece + ("…" if hi < len(text) else "")

    return f"{window(a)} → {window(b)}"


def _leaves(old: Any, new: Any) -> list[str]:
    """`a.b: 1 → 2` for each changed leaf, the first few of them."""
    a, b = _flat(old), _flat(new)
    lines = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            before = a.get(key, "(none)")
            after = b.get(key, "(none)")
            lines.append(f"{key or 'value'}: {_pair(before, after)}")
    if len(lines) > _MAX_LEAVES:
        lines = [*lines[:_MAX_LEAVES], f"and {len(lines) - _MAX_LEAVES} more"]
    return lines


# --- Prometheus rules -------------------------------------------------------------------------------

_COMPARISON = re.compile(
    r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^}]*\})?\s*\)?\s*(>=|<=|>|<|==|!=)\s*(-?[0-9][0-9.eE+-]*)"
)


def _thresholds(expr: str) -> dict[str, str]:
    """`{"slo:sli_error:ratio_rate1h >": "0.0144"}` for every `series > number` comparison."""
    return {f"{m.group(1)} {m.group(2)}": m.group(3) for m in _COMPARISON.finditer(expr)}


def _rules(text: str | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for group in (_yaml(text) or {}).get("groups") or []:
        for rule in group.get("rules") or []:
            if "alert" in rule:
                tier = (rule.get("labels") or {}).get("slo_severity")
                key = f"alert {rule['alert']}" + (f" ({tier})" if tier else "")
            else:
                key = f"record {rule.get('record')} ({group.get('name')})"
            out[key] = rule
    return out


def _rule_details(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = []
    old_expr, new_expr = str(old.get("expr", "")).strip(), str(new.get("expr", "")).strip()
    if old_expr != new_expr:
        before, after = _thresholds(old_expr), _thresholds(new_expr)
        for key in dict.fromkeys([*before, *after]):  # in the order the expression reads
            if before.get(key) != after.get(key):
                lines.append(f"threshold {key} {before.get(key, '(none)')} → {after.get(key, '(none)')}")
        masked = re.compile(r"-?[0-9][0-9.eE+-]*")
        if masked.sub("N", old_expr) != masked.sub("N", new_expr) or not lines:
            lines.append(f"expr: {_pair(old_expr, new_expr)}")
    for field in ("for", "labels", "annotations"):
        if old.get(field) != new.get(field):
            lines.extend(f"{field}: {line}" for line in _leaves(old.get(field) or {}, new.get(field) or {}))
    return lines


def _diff_rules(old: str | None, new: str | None) -> list[Change]:
    return list(_keyed(_rules(old), _rules(new), "", _rule_details))


# --- Alertmanager -----------------------------------------------------------------------------------


def _routes(route: dict[str, Any], parents: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """Each route as `matchers → receivers`, its children's receivers folded in."""
    out: dict[str, dict[str, Any]] = {}
    matchers = (*parents, *route.get("matchers", []))
    children = route.get("routes") or []
    leaves = [c for c in children if not c.get("matchers")]
    receivers = [c.get("receiver") for c in leaves] or [route.get("receiver")]
    timing: dict[str, Any] = {
        k: route[k] for k in ("group_by", "group_wait", "group_interval", "repeat_interval") if k in route
    }
    key = "{" + ", ".join(matchers) + "}" if matchers else "(root)"
    out[key] = {"receivers": receivers, **timing}
    for child in children:
        if child.get("matchers"):
            out.update(_routes(child, matchers))
    return out


def _diff_alertmanager(old: str | None, new: str | None) -> list[Change]:
    a, b = _yaml(old) or {}, _yaml(new) or {}
    changes = list(_keyed(_routes(a.get("route") or {}), _routes(b.get("route") or {}), "route", _leaves))
    receivers_a = {r["name"]: r for r in a.get("receivers") or []}
    receivers_b = {r["name"]: r for r in b.get("receivers") or []}
    changes += _keyed(receivers_a, receivers_b, "receiver", _leaves)

    def inhibit(rules: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            f"{_short(r.get('source_matchers'))} inhibits {_short(r.get('target_matchers'))} "
            f"when equal {_short(r.get('equal'))}": r
            for r in rules
        }

    changes += _keyed(
        inhibit(a.get("inhibit_rules") or []), inhibit(b.get("inhibit_rules") or []), "inhibit", _leaves
    )
    return changes


# --- Prometheus config ------------------------------------------------------------------------------


def _diff_prometheus(old: str | None, new: str | None) -> list[Change]:
    a, b = _yaml(old) or {}, _yaml(new) or {}
    jobs_a = {j["job_name"]: j for j in a.get("scrape_configs") or []}
    jobs_b = {j["job_name"]: j for j in b.get("scrape_configs") or []}
    changes = list(_keyed(jobs_a, jobs_b, "scrape job", _leaves))
    rest_a = {k: v for k, v in a.items() if k != "scrape_configs"}
    rest_b = {k: v for k, v in b.items() if k != "scrape_configs"}
    changes += _keyed(rest_a, rest_b, "setting", _leaves)
    return changes


# --- Grafana dashboards -----------------------------------------------------------------------------


def _panels(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    flat = list(dashboard.get("panels", []))
    for panel in list(flat):
        flat.extend(panel.get("panels", []))
    for panel in flat:
        title = f"{panel.get('type', 'panel')} {panel.get('title', '')!r}"
        key, n = title, 2
        while key in out:
            key, n = f"{title} #{n}", n + 1
        out[key] = panel
    return out


def _panel_details(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = []
    queries_a = {t.get("refId", str(i)): t.get("expr", "") for i, t in enumerate(old.get("targets", []))}
    queries_b = {t.get("refId", str(i)): t.get("expr", "") for i, t in enumerate(new.get("targets", []))}
    for ref in sorted(set(queries_a) | set(queries_b)):
        before, after = queries_a.get(ref), queries_b.get(ref)
        if before != after:
            if before and after:
                lines.append(f"query {ref}: {_pair(before, after)}")
            else:
                lines.append(f"query {ref} {'added' if after else 'removed'}")

    def steps(panel: dict[str, Any]) -> list[Any]:
        thresholds = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {})
        return [s.get("value") for s in thresholds.get("steps", []) if s.get("value") is not None]

    if steps(old) != steps(new):
        lines.append(f"thresholds: {_pair(steps(old), steps(new))}")
    if old.get("gridPos") != new.get("gridPos"):
        lines.append("moved or resized")
    if not lines:
        lines.append("options changed")
    return lines


def _dashboard_details(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = []
    for change in _keyed(_panels(old), _panels(new), "panel", _panel_details):
        head = f"{change.kind} {change.what}"
        lines.append(head + (f": {'; '.join(change.details)}" if change.details else ""))
    for field in ("title", "tags", "time", "refresh", "annotations", "links", "templating"):
        if old.get(field) != new.get(field):
            lines.append(f"{field} changed")
    return lines or ["layout or metadata changed"]


def _dashboard(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _by_file(files: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    # Keyed by file (the uid), so a renamed dashboard is a change, not a removal and an addition.
    return {posixpath.basename(path): _dashboard(text) for path, text in files.items()}


def _diff_dashboards(old: Mapping[str, str], new: Mapping[str, str]) -> list[Change]:
    a, b = _by_file(old), _by_file(new)
    changes = []
    for key in sorted(set(a) | set(b)):
        shown = b.get(key) or a[key]
        what = f"dashboard {shown.get('title', '?')!r} ({key})"
        if key not in a:
            changes.append(Change("added", what, (f"{len(_panels(b[key]))} panels",)))
        elif key not in b:
            changes.append(Change("removed", what, (f"{len(_panels(a[key]))} panels",)))
        else:
            changes.append(Change("changed", what, tuple(_dashboard_details(a[key], b[key]))))
    return changes


# --- everything else --------------------------------------------------------------------------------


def _diff_lines(old: str | None, new: str | None) -> list[Change]:
    a, b = (old or "").splitlines(), (new or "").splitlines()
    added = removed = 0
    for line in difflib.unified_diff(a, b, lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    kind: Kind = "added" if old is None else "removed" if new is None else "changed"
    return [Change(kind, "file", (f"+{added} -{removed} lines",))]


def _diff_structured(old: str | None, new: str | None) -> list[Change]:
    if old is None or new is None:
        return _diff_lines(old, new)
    a, b = _yaml(old), _yaml(new)
    if a is None or b is None:
        return _diff_lines(old, new)
    return [Change("changed", "file", tuple(_leaves(a, b)) or ("comments or formatting",))]


_TITLES = {
    POLICY_PATH: "Healer policy",
    posixpath.dirname(names.GRAFANA_DATASOURCES): "Grafana provisioning",
    posixpath.dirname(names.GRAFANA_DASHBOARD_PROVIDERS): "Grafana provisioning",
    posixpath.dirname(names.rules_test_file("x")): "Prometheus rule tests",
    posixpath.dirname(names.ALERTMANAGER_ROUTE_TESTS): "Alertmanager routing cases",
}


def _kind(path: str) -> tuple[int, str]:
    """Sort order and title of an artifact."""
    folder = posixpath.dirname(path)
    if folder == _RULES_DIR:
        return 0, "Prometheus rules"
    if path == names.PROMETHEUS_CONFIG:
        return 1, "Prometheus config"
    if path == names.ALERTMANAGER_CONFIG:
        return 2, "Alertmanager routes and receivers"
    if folder == names.GRAFANA_DASHBOARDS_DIR:
        return 3, "Grafana dashboards"
    title = _TITLES.get(path) or _TITLES.get(folder) or "Other files"
    if path.endswith((".yml", ".yaml")) and "/tests/" not in f"/{path}":
        return 4, title  # healer policy, provisioning: compared value by value
    return 5, title  # test cases and the rest: compared line by line


def diff_bundles(old: Mapping[str, str], new: Mapping[str, str]) -> BundleDiff:
    paths = sorted((set(old) | set(new)) - {MANIFEST})
    changed = [p for p in paths if old.get(p) != new.get(p)]
    artifacts: list[tuple[int, ArtifactDiff]] = []
    dashboards_old = {p: old[p] for p in changed if _kind(p)[0] == 3 and p in old}
    dashboards_new = {p: new[p] for p in changed if _kind(p)[0] == 3 and p in new}
    if dashboards_old or dashboards_new:
        diff = _diff_dashboards(dashboards_old, dashboards_new)
        artifacts.append((3, ArtifactDiff("Grafana dashboards", names.GRAFANA_DASHBOARDS_DIR, tuple(diff))))
    for path in changed:
        order, title = _kind(path)
        a, b = old.get(path), new.get(path)
        if order == 3:
            continue
        if order == 0:
            changes = _diff_rules(a, b)
        elif order == 1:
            changes = _diff_prometheus(a, b)
        elif order == 2:
            changes = _diff_alertmanager(a, b)
        elif order == 4:
            changes = _diff_structured(a, b)
        else:
            changes = _diff_lines(a, b)
        if order == 0 and (a is None or b is None):
            changes.insert(0, Change("added" if a is None else "removed", "file"))
        artifacts.append(
            (order, ArtifactDiff(title, path, tuple(changes) or (Change("changed", "formatting"),)))
        )
    artifacts.sort(key=lambda item: (item[0], item[1].path))
    return BundleDiff(_content_digest(old), _content_digest(new), tuple(a for _, a in artifacts))
