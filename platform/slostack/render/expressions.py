"""Every PromQL expression in a bundle, where it sits, and which recording rules it relies on.

Read from the rendered files, not from the spec, so user templates are covered too. Three users:
the consistency check (promtool syntax, `checks/consistency.py`), the pure reference check below
(run by every render: a dashboard must not query a rule nobody records), and the end-to-end suite,
which runs each `Expression.runnable()` against a live Prometheus.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from .. import conventions as names
from .healer_policy import POLICY_PATH
from .rules import RuleGroup

__all__ = [
    "Expression",
    "Reference",
    "RuleIndex",
    "bundle_expressions",
    "recorded_rules",
    "reference_problems",
    "references",
]

_RULES_DIR = posixpath.dirname(names.rules_file("x"))
_TESTS_DIR = posixpath.dirname(names.rules_test_file("x"))
_GRAFANA_MACROS = re.compile(
    r"\$(?:\{__(?:rate_interval|interval|range)\}|__(?:rate_interval|interval|range)\b)"
)


@dataclass(frozen=True)
class Expression:
    artifact: str  # bundle path of the file
    location: str  # where in the file: rule, panel and query, policy field
    expr: str
    kind: str  # "record", "alert", "dashboard", "healer", "test"

    def runnable(self, window: str = "5m") -> str:
        """The query Prometheus can run: Grafana's interval macros replaced by a fixed `window`."""
        return _GRAFANA_MACROS.sub(window, self.expr)

    def __str__(self) -> str:
        return f"{self.artifact}: {self.location}"


# libyaml when present: a rules file of 1,000 SLOs is megabytes, and every render reads it back.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=8)
def _yaml(text: str) -> Any:
    """Parsed once per text (the reference check reads the rules file twice); never mutated."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return None  # not ours to judge here: promtool reports unparsable files


def _rule_expressions(path: str, text: str) -> Iterator[Expression]:
    doc = _yaml(text)
    for group in (doc or {}).get("groups") or []:
        for rule in group.get("rules") or []:
            kind = "alert" if "alert" in rule else "record"
            name = rule.get(kind, "?")
            yield Expression(
                path, f"group {group.get('name')}, {kind} {name}", str(rule.get("expr", "")), kind
            )


def _test_expressions(path: str, text: str) -> Iterator[Expression]:
    doc = _yaml(text)
    for test in (doc or {}).get("tests") or []:
        for i, case in enumerate(test.get("promql_expr_test") or []):
            where = f"test {test.get('name', '?')!r}, promql_expr_test {i}"
            yield Expression(path, where, str(case.get("expr", "")), "test")


def _dashboard_expressions(path: str, text: str) -> Iterator[Expression]:
    try:
        dashboard = json.loads(text)
    except json.JSONDecodeError:
        return
    panels = list(dashboard.get("panels", []))
    for panel in list(panels):
        panels.extend(panel.get("panels", []))
    for panel in panels:
        for target in panel.get("targets", []):
            if "expr" in target:
                where = (
                    f"panel {panel.get('id')} {panel.get('title', '')!r}, query {target.get('refId', '?')}"
                )
                yield Expression(path, where, str(target["expr"]), "dashboard")
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation:
            yield Expression(
                path, f"annotation {annotation.get('name', '')!r}", annotation["expr"], "dashboard"
            )


def _healer_expressions(path: str, text: str) -> Iterator[Expression]:
    doc = _yaml(text)
    for name, check in ((doc or {}).get("slos") or {}).items():
        for field in ("verify_query", "now_query"):
            if check.get(field):
                yield Expression(path, f"slos.{name}.{field}", str(check[field]), "healer")


def _reader(path: str) -> tuple[str, Callable[[str, str], Iterator[Expression]]] | None:
    """The kind of expressions a bundle file holds and how to read them, or None."""
    folder = posixpath.dirname(path)
    if folder == _RULES_DIR and path.endswith((".yml", ".yaml")):
        return "rules", _rule_expressions
    if folder == _TESTS_DIR and path.endswith((".yml", ".yaml")):
        return "test", _test_expressions
    if folder == names.GRAFANA_DASHBOARDS_DIR and path.endswith(".json"):
        return "dashboard", _dashboard_expressions
    if path == POLICY_PATH:
        return "healer", _healer_expressions
    return None


def bundle_expressions(bundle: Mapping[str, str], skip_tests: bool = False) -> tuple[Expression, ...]:
    """Every (artifact, location, expression) of a bundle, in path order then file order.

    `skip_tests` leaves out the promtool test files (their queries read synthetic input series).
    """
    found: list[Expression] = []
    for path in sorted(bundle):
        reader = _reader(path)
        if reader is not None and not (skip_tests and reader[0] == "test"):
            found.extend(reader[1](path, bundle[path]))
    return tuple(found)


@dataclass(frozen=True)
class Reference:
    """A series a query selects by name, with its equality matchers."""

    name: str
    equals: tuple[tuple[str, str], ...]


_STRING = r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`"""
_BRACES = rf"\{{(?:{_STRING}|[^}}\"'`])*\}}"
# One pass of a scanner, not a parser (promtool judges syntax): strings, comments, ranges, Grafana
# variables, numbers and grouping label lists are matched only to be skipped; a name followed by
# "(" is a function; any other name is a series selector, with its matchers if it has braces.
_SCAN = re.compile(
    rf"""{_STRING}|\#[^\n]*|\[[^\]]*\]|\$\{{?\w+\}}?|\d[\w.]*
    |\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)
    |(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:(?P<call>\()|(?P<sel>{_BRACES}))?
    |(?P<bare>{_BRACES})""",
    re.VERBOSE,
)
_MATCHER = re.compile(rf"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*({_STRING})")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"})
_KEYWORDS |= {"group_left", "group_right", "inf", "nan", "Inf", "NaN", "atan2"}
# Aggregations may put `by (...)` before their argument: `max without (l) (x)`.
_KEYWORDS |= {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values"}
_KEYWORDS |= {"bottomk", "topk", "quantile", "limitk", "limit_ratio"}


def _unquote(text: str) -> str:
    body = text[1:-1]
    if text[0] == "`":
        return body
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _equals(braces: str) -> list[tuple[str, str]]:
    return [(m.group(1), _unquote(m.group(3))) for m in _MATCHER.finditer(braces) if m.group(2) == "="]


def references(expr: str) -> tuple[Reference, ...]:
    """Series names a PromQL expression selects, each with its equality matchers."""
    found: list[Reference] = []
    for m in _SCAN.finditer(expr):
        name, bare = m.group("name"), m.group("bare")
        if name is not None and m.group("call") is None and name not in _KEYWORDS:
            found.append(Reference(name, tuple(_equals(m.group("sel") or ""))))
        elif bare is not None:  # {__name__="..."} without a leading name
            equals = _equals(bare)
            for label, value in equals:
                if label == "__name__":
                    found.append(Reference(value, tuple(e for e in equals if e[0] != "__name__")))
    return tuple(found)


def _is_rule_name(name: str) -> bool:
    # Recording rules are named level:metric:operations; raw metrics may not contain colons.
    return ":" in name or name in names.RULE_NAMES_WITHOUT_COLON


@dataclass(frozen=True)
class RuleIndex:
    """The rules of a bundle: each recorded name with the static labels of its rules, and every
    rule expression. Built from the rendered files, or straight from the rule groups when the caller
    has them (a render of 1,000 SLOs should not read back megabytes of YAML it just wrote)."""

    recorded: dict[str, list[dict[str, str]]]
    expressions: tuple[Expression, ...]

    @classmethod
    def from_bundle(cls, bundle: Mapping[str, str]) -> RuleIndex:
        recorded: dict[str, list[dict[str, str]]] = {}
        for path in sorted(bundle):
            if posixpath.dirname(path) != _RULES_DIR:
                continue
            for group in (_yaml(bundle[path]) or {}).get("groups") or []:
                for rule in group.get("rules") or []:
                    if "record" in rule:
                        labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
                        recorded.setdefault(str(rule["record"]), []).append(labels)
        rules = tuple(e for e in bundle_expressions(bundle, skip_tests=True) if e.kind in ("record", "alert"))
        return cls(recorded, rules)

    @classmethod
    def from_groups(cls, path: str, groups: Iterable[RuleGroup]) -> RuleIndex:
        recorded: dict[str, list[dict[str, str]]] = {}
        expressions = []
        for group in groups:
            for rule in group.rules:
                kind, name = ("record", rule.record) if rule.record else ("alert", rule.alert)
                if rule.record:
                    recorded.setdefault(rule.record, []).append(dict(rule.labels))
                expressions.append(Expression(path, f"group {group.name}, {kind} {name}", rule.expr, kind))
        return cls(recorded, tuple(expressions))


def recorded_rules(bundle: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    """Each recorded series name with the static labels of every rule recording it."""
    return RuleIndex.from_bundle(bundle).recorded


def _static_labels(rules: list[dict[str, str]]) -> dict[str, frozenset[str]]:
    """The labels every rule of one name sets statically, with the values they set."""
    common = set.intersection(*(set(r) for r in rules)) if rules else set()
    return {label: frozenset(r[label] for r in rules) for label in common}


def reference_problems(bundle: Mapping[str, str], rules: RuleIndex | None = None) -> list[str]:
    """Alerts, dashboards and healer queries that read a recording rule the bundle does not record,
    or select it with a label value no such rule sets (a typo in an SLO id).

    Names the recording rules themselves read (the spec's own inputs, e.g. a user's rule in a query
    SLI) count as provided: they are outside the bundle, and the spec vouches for them.
    """
    rules = rules or RuleIndex.from_bundle(bundle)
    others = [
        e
        for path in sorted(bundle)
        if (reader := _reader(path)) is not None and reader[0] in ("dashboard", "healer")
        for e in reader[1](path, bundle[path])
    ]
    static = {name: _static_labels(labelled) for name, labelled in rules.recorded.items()}
    inputs: set[str] | None = None  # read only when a name is missing: most renders need none
    problems: list[str] = []
    for e in [*(x for x in rules.expressions if x.kind == "alert"), *others]:
        for ref in references(e.expr):
            if not _is_rule_name(ref.name):
                continue
            if ref.name not in static:
                if inputs is None:
                    inputs = {
                        r.name for x in rules.expressions if x.kind == "record" for r in references(x.expr)
                    }
                if ref.name not in inputs:
                    problems.append(f"{e}: uses {ref.name}, which no rule in the bundle records")
                continue
            for label, value in ref.equals:
                known = static[ref.name].get(label)
                if known is not None and value not in known:
                    problems.append(
                        f'{e}: {ref.name}{{{label}="{value}"}} matches no recorded series '
                        f"({label} is one of: {', '.join(sorted(known))})"
                    )
                    break
    return list(dict.fromkeys(problems))
