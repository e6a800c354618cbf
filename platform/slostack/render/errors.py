"""`RenderError`: a spec or template that cannot become a consistent bundle, one line per problem."""

from __future__ import annotations

__all__ = ["RenderError"]


class RenderError(Exception):
    """Rendering stopped before anything was written; each problem names the artifact and why."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
