"""Byte quantities as Kubernetes and Docker spell them: 256Mi, 1Gi, 500M, 1048576."""

from __future__ import annotations

import re

__all__ = ["parse_bytes"]

_UNITS = {
    "": 1,
    "k": 1000,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
}
_QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$")


def parse_bytes(text: str | int) -> int:
    if isinstance(text, bool):
        raise ValueError(f"not a byte quantity (got {text!r})")
    if isinstance(text, int):
        if text <= 0:
            raise ValueError(f"must be positive (got {text})")
        return text
    match = _QUANTITY.match(str(text).strip())
    if not match:
        raise ValueError(f"not a byte quantity (got {text!r}); use e.g. 256Mi, 1Gi, 500M")
    value = int(match.group(1)) * _UNITS[match.group(2) or ""]
    if value <= 0:
        raise ValueError(f"must be positive (got {text!r})")
    return value
