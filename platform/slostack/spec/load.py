"""`load_spec(path)`: read, parse with positions, validate, and map the file to the internal `Spec`."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from .. import conventions
from .durations import Duration
from .errors import Problem, SpecError
from .model import (
    SLO,
    EventsSLI,
    Healing,
    HealingPolicy,
    LadderStep,
    LatencySLI,
    QuerySLI,
    Service,
    Spec,
    Tier,
)
from .v1 import API_VERSION, KIND, Policy, SpecFileV1
from .validate import cross_check, problems_from_validation
from .yaml_source import MAX_FILE_BYTES, Located, parse_yaml

__all__ = ["load_spec", "load_spec_text", "spec_from_data"]

_FOREIGN = {
    "sloth.slok.dev/v1": "a Sloth Kubernetes CRD; convert it with `slostack import sloth FILE`",
    "prometheus/v1": "a Sloth spec; convert it with `slostack import sloth FILE`",
    "openslo/v1": "an OpenSLO document; convert it with `slostack import openslo FILE`",
    "openslo/v1alpha": "an OpenSLO document; convert it with `slostack import openslo FILE`",
}


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Load and validate a spec file. Raises `SpecError` listing every problem found."""
    file = os.fspath(path)
    try:
        size = os.path.getsize(file)
        if size > MAX_FILE_BYTES:
            raise SpecError(
                [
                    Problem(
                        file, 1, 1, "(document)", f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"
                    )
                ]
            )
        raw = FsPath(file).read_bytes()
    except OSError as exc:
        raise SpecError([Problem(file, 0, 0, "(file)", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Problem(file, 1, 1, "(file)", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None
    return load_spec_text(text, file)


def load_spec_text(text: str, file: str = "<spec>") -> Spec:
    located = parse_yaml(text, file)
    return spec_from_data(located)


def spec_from_data(located: Located) -> Spec:
    data = located.data
    if not isinstance(data, dict):
        raise SpecError(
            [located.problem((), "a spec must be a mapping with apiVersion, kind, metadata, slos")]
        )
    version = data.get("apiVersion")
    if version != API_VERSION:
        hint = _FOREIGN.get(str(version))
        message = (
            f"this is {hint}" if hint else f"unsupported apiVersion {version!r}; expected {API_VERSION!r}"
        )
        raise SpecError([located.problem(("apiVersion",), message)])
    if data.get("kind") != KIND:
        raise SpecError([located.problem(("kind",), f"must be {KIND!r} (got {data.get('kind')!r})")])
    try:
        parsed = SpecFileV1.model_validate(data)
    except ValidationError as exc:
        raise SpecError(problems_from_validation(exc, located)) from None
    problems = cross_check(parsed, located)
    if problems:
        raise SpecError(problems)
    return _normalize(parsed, located.file)


def _normalize(doc: SpecFileV1, source: str) -> Spec:
    name = doc.metadata.name
    service = None
    if doc.service is not None:
        s = doc.service
        scrape = s.scrape
        service = Service(
            name=name,
            image=s.image,
            build=s.build if s.build or s.image else "sample_app",
            version=s.version or _version_from_image(s.image) or "dev",
            replicas=s.replicas,
            port=s.port,
            env=dict(sorted(s.env.items())),
            memory_limit=s.resources.memory_limit,
            cpu_limit=s.resources.cpu_limit,
            scrape_job=scrape.job or name,
            scrape_path=scrape.path,
            scrape_interval=scrape.interval,
            evaluation_interval=scrape.evaluation_interval or scrape.interval,
        )
    slos = tuple(_slo(name, slo) for slo in doc.slos)
    return Spec(
        name=name,
        labels=dict(sorted(doc.metadata.labels.items())),
        service=service,
        slos=slos,
        alerting=doc.alerting,
        healing=_healing(doc, service),
        deploy=doc.deploy,
        source=source,
    )


def exact(number: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent form (90 stays 90, not 9E+1)."""
    return Decimal(format(number.normalize(), "f"))


def _version_from_image(image: str | None) -> str | None:
    if not image or ":" not in image.rsplit("/", 1)[-1]:
        return None
    return image.rsplit(":", 1)[1]


def _slo(service: str, slo: Any) -> SLO:
    sli: EventsSLI | LatencySLI | QuerySLI
    if slo.sli.events is not None:
        sli = EventsSLI(errors=slo.sli.events.errors, total=slo.sli.events.total)
    elif slo.sli.latency is not None:
        sli = LatencySLI(histogram=slo.sli.latency.histogram, threshold=slo.sli.latency.threshold)
    else:
        sli = QuerySLI(error_ratio=slo.sli.query.error_ratio)
    alerting = slo.alerting

    def tier(name: str) -> Tier:
        t = getattr(alerting, name)
        return Tier(
            enabled=t.enabled,
            severity=t.severity or name,
            labels=dict(sorted(t.labels.items())),
            annotations=dict(sorted(t.annotations.items())),
        )

    return SLO(
        name=slo.name,
        slo_id=conventions.slo_id(service, slo.name),
        service=service,
        objective=exact(slo.objective),
        window=slo.window,
        description=slo.description.strip(),
        sli=sli,
        alert_name=alerting.name or conventions.alert_name(service, slo.name),
        alert_labels=dict(sorted(alerting.labels.items())),
        alert_annotations=dict(sorted(alerting.annotations.items())),
        page=tier("page"),
        ticket=tier("ticket"),
        min_events=alerting.min_events,
        no_data_alert=alerting.no_data,
    )


def _healing(doc: SpecFileV1, service: Service | None) -> Healing:
    h = doc.healing
    policies = []
    for p in h.policies:
        steps = p.actions if p.actions is not None else [_single(p.action)]
        ladder = tuple(
            LadderStep(
                action=s.action,
                step=s.step,
                max=(s.max or max(2 * (service.replicas if service else 1), 2))
                if s.action == "scale"
                else None,
                receiver=s.receiver or (h.escalate_to if s.action == "notify" else None),
            )
            for s in steps
        )
        policies.append(
            HealingPolicy(
                match=dict(sorted(p.match.items())),
                ladder=ladder,
                target=p.target or doc.metadata.name,
                cooldown=p.cooldown,
                max_attempts=p.max_attempts,
                attempts_window=p.attempts_window,
                dry_run=h.dry_run if p.dry_run is None else p.dry_run or h.dry_run,
                verify_for=p.verify_for or h.verify.window,
                forbid=tuple(p.forbid),
                confirm_for=_confirm_for(p, ladder, service),
            )
        )
    return Healing(
        enabled=h.enabled,
        dry_run=h.dry_run,
        policies=tuple(policies),
        rate_limit=h.rate_limit,
        verify=h.verify,
        breaker_failures=h.breaker_failures,
        escalate_to=h.escalate_to,
        targets=(doc.metadata.name,) if service else (),
    )


# Three "now" windows of 4 scrapes: one for the bad samples to leave the window, one for two good
# readings in a row to show, one of slack for the alert's delivery (group_wait) eating into the watch.
CONFIRM_SCRAPES = 12


def _confirm_for(p: Policy, ladder: tuple[LadderStep, ...], service: Service | None) -> Duration | None:
    wanted = (
        p.confirm
        if p.confirm is not None
        else (p.confirm_for is not None or any(s.action == "auto" for s in ladder))
    )
    if not wanted:
        return None
    scrape = service.scrape_interval if service else Duration.parse("15s")
    return p.confirm_for or scrape * CONFIRM_SCRAPES


def _single(action: str | None) -> Any:
    from .v1 import ScaleStep

    return ScaleStep(action=action or "notify")
