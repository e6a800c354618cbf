"""Convert Sloth `prometheus/v1` and OpenSLO v1 `SLO` files to a slostack/v1 spec.

The output is validated like any spec before it is returned, so an import either gives a file that
`slostack validate` accepts or says, line by line, what did not map.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .load import load_spec_text
from .names import SLUG
from .selectors import parse_selector

__all__ = ["SpecImportError", "import_file", "import_openslo", "import_sloth"]

# `sum(rate(selector[{{.window}}]))`, the shape almost every Sloth events query has.
_SUM_RATE = re.compile(
    r"^\s*sum\s*\(\s*(?:rate|increase)\s*\(\s*(?P<sel>[a-zA-Z_:][^\[]*)\[\s*\{\{\s*\.window\s*\}\}\s*\]\s*\)\s*\)\s*$"
)


class SpecImportError(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _slug(value: str, where: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
    if not SLUG.match(slug):
        raise SpecImportError([f"{where}: cannot turn {value!r} into a name ([a-z][a-z0-9-]*)"])
    return slug


def _plain_selector(text: str) -> str | None:
    try:
        return str(parse_selector(text))
    except ValueError:
        return None


def _sloth_sli(sli: dict[str, Any], where: str) -> dict[str, Any]:
    if "events" in sli:
        events = sli["events"]
        err, total = str(events.get("error_query", "")), str(events.get("total_query", ""))
        err_m, total_m = _SUM_RATE.match(err), _SUM_RATE.match(total)
        if err_m and total_m:
            e, t = _plain_selector(err_m.group("sel")), _plain_selector(total_m.group("sel"))
            if e and t:
                return {"events": {"errors": e, "total": t}}
        ratio = f"({_window(err)})\n/\n({_window(total)})"
        return {"query": {"error_ratio": ratio}}
    if "raw" in sli:
        return {"query": {"error_ratio": _window(str(sli["raw"].get("error_ratio_query", "")))}}
    if "plugin" in sli:
        raise SpecImportError(
            [
                f"{where}.sli.plugin: Sloth SLI plugins have no slostack equivalent; "
                "write the SLI as events or a query"
            ]
        )
    raise SpecImportError([f"{where}.sli: expected events, raw or plugin"])


def _window(query: str) -> str:
    return re.sub(r"\{\{\s*\.window\s*\}\}", "{{window}}", query.strip())


def import_sloth(data: Any, source: str, window: str = "30d") -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("version") != "prometheus/v1":
        raise SpecImportError([f"{source}: not a Sloth prometheus/v1 spec (version: prometheus/v1 expected)"])
    service = _slug(str(data.get("service", "")), f"{source}: service")
    slos = []
    for i, slo in enumerate(data.get("slos") or []):
        where = f"{source}: slos[{i}]"
        out: dict[str, Any] = {
            "name": _slug(str(slo.get("name", "")), f"{where}.name"),
            "objective": Decimal(str(slo.get("objective"))),
            "window": window,
        }
        if slo.get("description"):
            out["description"] = str(slo["description"])
        out["sli"] = _sloth_sli(slo.get("sli") or {}, where)
        alerting = slo.get("alerting") or {}
        converted: dict[str, Any] = {}
        if alerting.get("name"):
            converted["name"] = alerting["name"]
        if alerting.get("labels"):
            converted["labels"] = {str(k): str(v) for k, v in alerting["labels"].items()}
        if alerting.get("annotations"):
            converted["annotations"] = {str(k): str(v) for k, v in alerting["annotations"].items()}
        for sloth_key, tier in (("page_alert", "page"), ("ticket_alert", "ticket")):
            alert = alerting.get(sloth_key) or {}
            tier_out: dict[str, Any] = {"enabled": not alert.get("disable", False)}
            labels = {str(k): str(v) for k, v in (alert.get("labels") or {}).items()}
            if "severity" in labels:
                tier_out["severity"] = labels.pop("severity")
            if labels:
                tier_out["labels"] = labels
            if alert.get("annotations"):
                tier_out["annotations"] = {str(k): str(v) for k, v in alert["annotations"].items()}
            converted[tier] = tier_out
        out["alerting"] = converted
        slos.append(out)
    if not slos:
        raise SpecImportError([f"{source}: the Sloth spec has no slos"])
    doc: dict[str, Any] = {
        "apiVersion": "slostack/v1",
        "kind": "ServiceLevels",
        "metadata": {"name": service},
    }
    if data.get("labels"):
        doc["metadata"]["labels"] = {str(k): str(v) for k, v in data["labels"].items()}
    doc["slos"] = slos
    return doc


def _openslo_query(metric: Any) -> str:
    source = (metric or {}).get("metricSource") or {}
    spec = source.get("spec") or {}
    query = spec.get("query") or spec.get("promql")
    if not query:
        raise ValueError("metricSource.spec.query is missing")
    return str(query).strip()


def _openslo_sli(
    indicator: dict[str, Any], objective: dict[str, Any], where: str
) -> tuple[dict[str, Any], Decimal]:
    spec = indicator.get("spec") or {}
    target = objective.get("target")
    percent = (
        Decimal(str(objective["targetPercent"]))
        if "targetPercent" in objective
        else (Decimal(str(target)) * 100 if target is not None else None)
    )
    if percent is None:
        raise SpecImportError([f"{where}.objectives: target or targetPercent is required"])
    if "ratioMetric" in spec:
        ratio = spec["ratioMetric"]
        try:
            total = _plain_selector(_openslo_query(ratio.get("total")))
            if ratio.get("bad"):
                bad = _plain_selector(_openslo_query(ratio["bad"]))
                if bad and total:
                    return {"events": {"errors": bad, "total": total}}, percent
            elif ratio.get("good"):
                good = _plain_selector(_openslo_query(ratio["good"]))
                if good and total:
                    expr = f"1 - (sum(rate({good}[{{{{window}}}}])) / sum(rate({total}[{{{{window}}}}])))"
                    return {"query": {"error_ratio": expr}}, percent
        except ValueError as exc:
            raise SpecImportError([f"{where}.indicator.spec.ratioMetric: {exc}"]) from None
        raise SpecImportError(
            [
                f"{where}.indicator.spec.ratioMetric: only plain series selectors map to slostack "
                "(slostack adds rate() and the window); rewrite the queries as selectors"
            ]
        )
    if "thresholdMetric" in spec:
        try:
            query = _openslo_query(spec["thresholdMetric"])
        except ValueError as exc:
            raise SpecImportError([f"{where}.indicator.spec.thresholdMetric: {exc}"]) from None
        found = re.search(r"([a-zA-Z_:][a-zA-Z0-9_:]*_bucket(?:\{[^}]*\})?)", query)
        op = str(objective.get("op", ""))
        if found and op in ("lt", "lte") and objective.get("value") is not None:
            threshold_ms = int(Decimal(str(objective["value"])) * 1000)
            return {"latency": {"histogram": found.group(1), "threshold": f"{threshold_ms}ms"}}, percent
        raise SpecImportError(
            [
                f"{where}.indicator.spec.thresholdMetric: maps only to a latency SLI over a histogram "
                "(a ..._bucket series with op lt/lte and a value in seconds)"
            ]
        )
    raise SpecImportError([f"{where}.indicator: expected ratioMetric or thresholdMetric"])


def import_openslo(documents: list[Any], source: str) -> dict[str, Any]:
    slos_docs = [d for d in documents if isinstance(d, dict) and d.get("kind") == "SLO"]
    indicators = {
        d["metadata"]["name"]: d
        for d in documents
        if isinstance(d, dict) and d.get("kind") == "SLI" and d.get("metadata", {}).get("name")
    }
    if not slos_docs:
        raise SpecImportError([f"{source}: no OpenSLO document of kind SLO"])
    services = {str((d.get("spec") or {}).get("service", "")) for d in slos_docs}
    if len(services) != 1:
        raise SpecImportError(
            [
                f"{source}: SLOs of several services ({', '.join(sorted(services))}); "
                "slostack keeps one spec per service, split the file"
            ]
        )
    slos = []
    problems = []
    for i, doc in enumerate(slos_docs):
        where = f"{source}: SLO[{i}] {doc.get('metadata', {}).get('name', '?')}"
        spec = doc.get("spec") or {}
        if str(spec.get("apiVersion", doc.get("apiVersion"))).startswith("openslo/v1") is False:
            problems.append(f"{where}: apiVersion must be openslo/v1")
        indicator = spec.get("indicator") or indicators.get(str(spec.get("indicatorRef")))
        if not indicator:
            problems.append(f"{where}.indicator: missing (and no SLI document named by indicatorRef)")
            continue
        windows = spec.get("timeWindow") or [{"duration": "30d", "isRolling": True}]
        window = windows[0]
        if not window.get("isRolling", False):
            problems.append(
                f"{where}.timeWindow: only rolling windows map to slostack (calendar windows do not)"
            )
            continue
        if spec.get("budgetingMethod", "Occurrences") != "Occurrences":
            problems.append(
                f"{where}.budgetingMethod: only Occurrences maps to slostack "
                f"(got {spec.get('budgetingMethod')})"
            )
            continue
        objectives = spec.get("objectives") or []
        for j, objective in enumerate(objectives):
            try:
                sli, percent = _openslo_sli(indicator, objective, where)
            except SpecImportError as exc:
                problems.extend(exc.lines)
                continue
            base = _slug(str(doc.get("metadata", {}).get("name", f"slo-{i}")), f"{where}.metadata.name")
            name = (
                base
                if len(objectives) == 1
                else f"{base}-{_slug(str(objective.get('displayName', j)), where)}"
            )
            entry: dict[str, Any] = {
                "name": name,
                "objective": percent,
                "window": str(window.get("duration")),
            }
            if spec.get("description"):
                entry["description"] = str(spec["description"])
            entry["sli"] = sli
            slos.append(entry)
    if problems:
        raise SpecImportError(problems)
    return {
        "apiVersion": "slostack/v1",
        "kind": "ServiceLevels",
        "metadata": {"name": _slug(services.pop(), f"{source}: spec.service")},
        "slos": slos,
    }


def _dump(doc: dict[str, Any]) -> str:
    def decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
        text = format(value.normalize(), "f")
        return dumper.represent_scalar("tag:yaml.org,2002:" + ("float" if "." in text else "int"), text)

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        # Multi-line PromQL reads best as a literal block, exactly as written.
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(Decimal, decimal)
    Dumper.add_representer(str, text)
    return yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=110)


def import_file(kind: str, path: Path) -> str:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except OSError as exc:
        raise SpecImportError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{mark.line + 1}:{mark.column + 1}: " if mark else ""
        raise SpecImportError([f"{source}:{at}YAML syntax error"]) from None
    if kind == "sloth":
        if len(documents) != 1:
            raise SpecImportError([f"{source}: expected one Sloth document, found {len(documents)}"])
        doc = import_sloth(documents[0], source)
    else:
        doc = import_openslo(documents, source)
    header = f"# Imported by `slostack import {kind}` from {path.name}. Review before use.\n"
    out = header + _dump(doc)
    try:
        load_spec_text(out, f"{path.name} (imported)")
    except SpecError as exc:
        raise SpecImportError([f"the imported spec is not valid: {p}" for p in exc.problems]) from None
    return out
