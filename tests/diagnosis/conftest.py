"""The healer's fixtures (a real supervisor, a `checkout` child process, a healer under uvicorn)."""

from tests.healer.conftest import checkout, make_healer, supervisor

__all__ = ["checkout", "make_healer", "supervisor"]
