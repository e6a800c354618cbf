"""slostack: one declarative SLO spec in; a whole, self-healing reliability stack out.

Public API (everything else is internal and may change):

    from slostack import load_spec, render, SpecError
    spec = load_spec("checkout.slo.yaml")
    bundle = render(spec)          # path -> text, plus bundle.digest
"""

from __future__ import annotations

from typing import Any

# Import the render package before defining `render` below: importing a submodule binds its name
# on the parent package, and that must happen first so the public function is what stays bound.
from .render import pipeline as _pipeline
from .render.bundle import Bundle
from .render.options import RenderOptions
from .spec import Spec, SpecError, load_spec

__all__ = ["Bundle", "RenderOptions", "Spec", "SpecError", "load_spec", "render"]
__version__ = "0.1.0"


def render(spec: Spec, options: RenderOptions | None = None, **overrides: Any) -> Bundle:
    """Render every artifact of `spec` (pure and deterministic). See `slostack.render.pipeline`."""
    return _pipeline.render(spec, options, **overrides)
