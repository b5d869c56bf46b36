"""Flask front end: adapts HTTP requests to ``search`` and renders the results.

``create_app`` (in ``web.app``) is imported on first use, so that ``python -m web`` can start
verifying the index before Flask, NumPy and Whoosh are imported (``web.__main__``).
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from web.app import create_app

        return create_app
    raise AttributeError(f"module 'web' has no attribute {name!r}")
