"""From the leading hypothesis to one remedy. The policy's `forbid` list always wins, and a leader
without enough confidence only tells a human: acting on a guess is how automation makes outages worse."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .evidence import Evidence
from .hypotheses import Hypothesis

__all__ = ["MIN_CONFIDENCE", "Remedy", "choose"]

MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Remedy:
    action: str  # rollback | restart | scale | notify
    reason: str
    ticket: bool = False  # also file a ticket-style notify: the remedy buys time, a human must fix it

    def to_api(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason, "ticket": self.ticket}


def _wanted(leader: Hypothesis, e: Evidence) -> Remedy:
    match leader.name:
        case "bad_release":
            return Remedy("rollback", "a recent release is the likeliest cause: go back to the previous one")
        case "crash_loop" if e.recent_release is not None:
            return Remedy("rollback", "it crashes since a recent release: go back to the previous one")
        case "crash_loop":
            return Remedy("restart", "it crashes with no recent release: start it cleanly")
        case "memory_leak":
            return Remedy("restart", "memory runs out: restart before the limit kills it", ticket=True)
        case "overload":
            return Remedy("scale", "more traffic than it can serve: add a replica")
        case "regression":
            return Remedy("notify", "errors or latency without a local cause: a human must look upstream")
        case _:
            return Remedy("notify", "no explanation fits well enough to act on")


def choose(leader: Hypothesis, evidence: Evidence, forbid: Collection[str]) -> Remedy:
    if leader.confidence < MIN_CONFIDENCE:
        return Remedy(
            "notify",
            f"the best explanation ({leader.name}, {leader.confidence:.2f}) is below {MIN_CONFIDENCE}",
        )
    remedy = _wanted(leader, evidence)
    if remedy.action in forbid:
        return Remedy(
            "notify", f"{remedy.action} is forbidden by the policy ({remedy.reason})", remedy.ticket
        )
    return remedy
