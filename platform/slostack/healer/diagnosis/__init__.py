"""Root-cause diagnosis for `action: auto`: gather evidence, score hypotheses, choose a remedy.

    d = await diagnose(prometheus, releases, policy.service_facts, alert_start, forbid=policy.forbid)
    d.remedy.action  # rollback | restart | scale | notify

Modules: evidence (bounded PromQL and the release ledger), hypotheses (scoring), remedy (the choice),
summary (an optional language-model hook, off by default), ledger (the local release ledger as a source).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ...render.healer_policy import ServiceFacts
from .evidence import (
    Evidence,
    EvidenceSettings,
    MetricsSource,
    NoReleases,
    Reading,
    ReleaseInfo,
    ReleaseSource,
    gather,
)
from .hypotheses import Hypothesis, rank
from .remedy import MIN_CONFIDENCE, Remedy, choose
from .summary import Summarizer, summarize

__all__ = [
    "MIN_CONFIDENCE",
    "Diagnoser",
    "Diagnosis",
    "Evidence",
    "EvidenceSettings",
    "Hypothesis",
    "MetricsSource",
    "NoReleases",
    "Reading",
    "ReleaseInfo",
    "ReleaseSource",
    "Remedy",
    "Summarizer",
    "diagnose",
]


@dataclass(frozen=True)
class Diagnosis:
    evidence: Evidence
    hypotheses: tuple[Hypothesis, ...]  # most likely first
    remedy: Remedy

    @property
    def leader(self) -> Hypothesis:
        return self.hypotheses[0]

    def to_api(self) -> dict[str, Any]:
        return {
            "leader": self.leader.name,
            "confidence": round(self.leader.confidence, 3),
            "remedy": self.remedy.to_api(),
            "hypotheses": [h.to_api() for h in self.hypotheses],
            "evidence": self.evidence.to_api(),
        }


async def diagnose(
    source: MetricsSource | None,
    releases: ReleaseSource,
    facts: ServiceFacts | None,
    alert_start: float,
    *,
    forbid: Collection[str] = (),
    settings: EvidenceSettings | None = None,
) -> Diagnosis:
    evidence = await gather(source, releases, facts, alert_start, settings or EvidenceSettings())
    ranked, _ = rank(evidence)
    return Diagnosis(evidence, tuple(ranked), choose(ranked[0], evidence, forbid))


@dataclass(frozen=True)
class Diagnoser:
    """What the engine calls for an `auto` step: everything injected, so tests build fresh ones."""

    source: MetricsSource | None
    releases: ReleaseSource
    facts: ServiceFacts | None
    settings: EvidenceSettings = field(default_factory=EvidenceSettings)
    summarizer: Summarizer | None = None  # the optional language-model hook; None by default

    async def run(self, alert_start: float, forbid: Collection[str]) -> dict[str, Any]:
        """The diagnosis as stored with the incident (JSON-ready)."""
        d = await diagnose(
            self.source, self.releases, self.facts, alert_start, forbid=forbid, settings=self.settings
        )
        body = d.to_api()
        text = await summarize(self.summarizer, body, timeout=self.settings.deadline)
        if text:
            body["summary"] = text
        return body
