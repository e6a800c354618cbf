"""Whether one ladder step may run now: pure rules over numbers the store reads in the same transaction.

Order matters and is the safety order: a switched-off healer, the kill switch and an open breaker win
over everything; then the per-target attempt cap (final for this incident: a human must look), then the
per-target cooldown and the global rate limit (both just mean "later").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Allowed", "Blocked", "GateInputs", "decide"]


@dataclass(frozen=True)
class GateInputs:
    now: float
    enabled: bool
    paused: bool
    breaker_open: bool
    touches_target: bool  # notify steps send a message; cooldown, attempts and rate limit don't apply
    last_action_at: float | None
    cooldown: float
    attempts_in_window: int
    max_attempts: int
    rate_count: int
    rate_oldest_at: float | None
    rate_limit: int
    rate_per: float


@dataclass(frozen=True)
class Allowed:
    action_id: int = 0


@dataclass(frozen=True)
class Blocked:
    reason: str  # disabled | paused | breaker_open | max_attempts | cooldown | rate_limited
    detail: str
    retry_at: float | None = None  # None: wait to be woken (resume, breaker reset) or give up if final
    final: bool = False  # True: this incident will never pass; escalate instead of waiting


def decide(g: GateInputs) -> Allowed | Blocked:
    if not g.enabled:
        return Blocked("disabled", "healing is disabled in the policy", final=True)
    if g.paused:
        return Blocked("paused", "the healer is paused (POST /v1/resume to resume)")
    if g.breaker_open:
        return Blocked("breaker_open", "the target's circuit breaker is open")
    if not g.touches_target:
        return Allowed()
    if g.attempts_in_window >= g.max_attempts:
        return Blocked(
            "max_attempts",
            f"{g.attempts_in_window} attempts already in the window (max {g.max_attempts})",
            final=True,
        )
    if g.last_action_at is not None and g.now < g.last_action_at + g.cooldown:
        until = g.last_action_at + g.cooldown
        return Blocked("cooldown", f"target in cooldown for {until - g.now:.1f}s more", retry_at=until)
    if g.rate_count >= g.rate_limit:
        until = (g.rate_oldest_at or g.now) + g.rate_per
        return Blocked(
            "rate_limited",
            f"{g.rate_count} actions in the last {g.rate_per:g}s (limit {g.rate_limit})",
            retry_at=until,
        )
    return Allowed()
