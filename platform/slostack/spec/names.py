"""Syntax rules for names the spec accepts (service, SLO, label names), shared by validation."""

from __future__ import annotations

import re

__all__ = ["ALERT_NAME", "LABEL_NAME", "METRIC_NAME", "SLUG", "check_label_name", "check_slug"]

SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ALERT_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def check_slug(value: str) -> str:
    if not SLUG.match(value) or len(value) > 63 or value.endswith("-"):
        raise ValueError(
            "must be lowercase letters, digits and '-', start with a letter, "
            f"at most 63 characters (got {value!r})"
        )
    return value


def check_label_name(value: str) -> str:
    if not LABEL_NAME.match(value):
        raise ValueError(f"not a valid Prometheus label name (got {value!r}); use [a-zA-Z_][a-zA-Z0-9_]*")
    if value.startswith("__"):
        raise ValueError(f"label names starting with '__' are reserved by Prometheus (got {value!r})")
    return value
