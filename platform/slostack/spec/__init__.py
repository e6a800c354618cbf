"""Spec loading and validation: YAML in, a normalized immutable `Spec` out (or every problem at once)."""

from .durations import Duration
from .errors import Problem, SpecError
from .load import load_spec, load_spec_text
from .model import SLO, EventsSLI, Healing, HealingPolicy, LadderStep, LatencySLI, QuerySLI, Service, Spec

__all__ = [
    "SLO",
    "Duration",
    "EventsSLI",
    "Healing",
    "HealingPolicy",
    "LadderStep",
    "LatencySLI",
    "Problem",
    "QuerySLI",
    "Service",
    "Spec",
    "SpecError",
    "load_spec",
    "load_spec_text",
]
