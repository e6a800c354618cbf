"""From an alert's labels to a policy, a target and an SLO check: data in, decisions out, no I/O.

Label values are untrusted. The only label that can choose anything is `target`, and only among the
names the policy file declares; everything else that ends up in an action (the verification query,
receiver URLs) comes from the policy file, never from the alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..render.healer_policy import HealerPolicyFile, SloCheck
from ..spec.model import HealingPolicy
from .actuators.base import TARGET_NAME

__all__ = ["TARGET_LABEL", "Match", "TargetRejected", "match_alert"]

# An alert may name which declared target it is about (e.g. one healer for several workloads).
TARGET_LABEL = "target"
# slostack's labels, or Sloth's when the compatibility switch renamed them.
_SLO_NAME_LABELS = ("slo_name", "sloth_slo")


class TargetRejected(Exception):
    """The alert points at a target the policy does not declare (or at a malformed name)."""


@dataclass(frozen=True)
class Match:
    index: int
    policy: HealingPolicy
    target: str
    slo: str | None
    check: SloCheck | None


def _matches(policy: HealingPolicy, labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in policy.match.items())


def match_alert(policy_file: HealerPolicyFile, labels: Mapping[str, str]) -> Match | None:
    """The first policy (file order) whose every `match` label equals the alert's, or None.

    Raises TargetRejected when a policy matches but the target is not one the file declares."""
    for index, policy in enumerate(policy_file.policies):
        if not _matches(policy, labels):
            continue
        target = labels.get(TARGET_LABEL, policy.target)
        if len(target) > 63 or not TARGET_NAME.fullmatch(target) or target not in policy_file.targets:
            declared = ", ".join(policy_file.targets) or "none"
            raise TargetRejected(
                f"target {target[:80]!r} is not declared by the policy (declared: {declared})"
            )
        slo = next((labels[k] for k in _SLO_NAME_LABELS if k in labels), None)
        check = policy_file.slos.get(slo) if slo is not None else None
        return Match(index=index, policy=policy, target=target, slo=slo if check else None, check=check)
    return None
