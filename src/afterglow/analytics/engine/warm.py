"""The figures' libraries imported in the background while DuckDB reads. No Django import.

``stats``, ``durability`` and ``mixed_algebra`` import scipy.stats, statsmodels,
lifelines and scipy.optimize on first use, so that the CLI's input errors stay fast.
At registry scale that first use costs about a second of one core (mostly
scipy.stats) after DuckDB has finished. :func:`imports_during` runs those imports in a
thread while the caller's block runs a long DuckDB statement, which releases the GIL:
the import then overlaps the read instead of following it.

The caller's block must not import these modules itself; the thread is joined when
the block ends (also when it raises), so no two threads ever import at once.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator

__all__ = ["FIGURE_MODULES", "imports_during"]

#: What the figures import on first use (``stats``, ``durability``, ``mixed_algebra``).
FIGURE_MODULES = (
    "scipy.stats",
    "scipy.optimize",
    "statsmodels.stats.proportion",
    "lifelines",
    "lifelines.utils",
)


@contextlib.contextmanager
def imports_during(modules: tuple[str, ...] = FIGURE_MODULES) -> Iterator[None]:
    """Import ``modules`` in a thread while the ``with`` block runs; join it at the end.

    A module that fails to import here is skipped and imported again (and fails with its
    own error) where it is used.
    """
    thread = threading.Thread(target=_import_all, args=(modules,), name="afterglow-warm")
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _import_all(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # reported where the module is really used
            continue
