"""slostack: one declarative SLO spec in; a whole, self-healing reliability stack out.

Public API (everything else is internal and may change):

    from slostack import load_spec, render, SpecError
    spec = load_spec("checkout.slo.yaml")
    bundle = render(spec)          # path -> text, plus bundle.digest
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .spec import Spec, SpecError, load_spec

if TYPE_CHECKING:
    from .render.bundle import Bundle

__all__ = ["Bundle", "Spec", "SpecError", "load_spec", "render"]
__version__ = "0.1.0"


def render(spec: Spec, **options: Any) -> Bundle:
    """Render every artifact of `spec` (pure and deterministic). See `slostack.render.pipeline`."""
    from .render.pipeline import render as _render

    return _render(spec, **options)


def __getattr__(name: str) -> Any:
    if name == "Bundle":
        from .render.bundle import Bundle

        return Bundle
    raise AttributeError(name)
