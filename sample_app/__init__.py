"""A small FastAPI service with failure injection: the target of every slostack drill and demo.

It never imports ``slostack``: it runs alone in its own image. Build an app with
``sample_app.main.create_app``; serve it with ``python -m sample_app`` or
``uvicorn sample_app.main:app``.
"""

__all__: list[str] = []
