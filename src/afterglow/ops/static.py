"""Collect static files when the installed ones changed, and only then.

Production serves the collected copies (nginx from ``STATIC_ROOT``, or WhiteNoise when
gunicorn runs alone), hashed and compressed by WhiteNoise's manifest storage; a page
whose static file is missing from the manifest answers 500. ``afterglow serve`` calls
:func:`static_collect_if_needed`, which fingerprints every source file (path, size,
modification time) and runs ``collectstatic`` when the fingerprint differs from the one
stored beside the last collection (an upgrade, a first start).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

STAMP = ".afterglow-collected"


def static_fingerprint() -> str:
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(ignore_patterns=[]):
            full = Path(storage.path(path))
            stat = full.stat()
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def static_collect_if_needed() -> bool:
    """Run ``collectstatic`` unless the last collection has the same fingerprint."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / STAMP
    fingerprint = static_fingerprint()
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    root.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)
    return True


class GzipManifestStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed files, gzip only.

    nginx serves the ``.gz`` copies itself (``gzip_static``); it cannot serve Brotli
    without an extra module, and Brotli at WhiteNoise's level takes most of a minute on
    Plotly's bundle at every upgrade.
    """

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return super().create_compressor(**{**kwargs, "use_brotli": False})
