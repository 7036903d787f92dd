"""gunicorn, run in-process by ``afterglow serve`` (no gunicorn.conf.py to keep in step)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class AfterglowApplication(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from afterglow.wsgi import application

        return application
