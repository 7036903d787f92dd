"""``engine.warm``: the figures' libraries are imported in a thread during a DuckDB read."""

from __future__ import annotations

import sys
import threading

import pytest

from afterglow.analytics.engine import warm


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """Two importable modules that record the thread importing them, and one that fails."""
    for name in ("warm_probe_a", "warm_probe_b"):
        (tmp_path / f"{name}.py").write_text(
            "import threading\nIMPORTED_BY = threading.current_thread().name\n"
        )
    (tmp_path / "warm_probe_broken.py").write_text("raise ImportError('broken on purpose')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("warm_probe_a", "warm_probe_b", "warm_probe_broken"):
        sys.modules.pop(name, None)


def test_the_modules_are_imported_by_another_thread_and_ready_when_the_block_ends(modules):
    with warm.imports_during(("warm_probe_a", "warm_probe_b")):
        pass

    assert sys.modules["warm_probe_a"].IMPORTED_BY == "afterglow-warm"
    assert sys.modules["warm_probe_b"].IMPORTED_BY == "afterglow-warm"
    assert threading.main_thread().name != "afterglow-warm"
    assert not any(t.name == "afterglow-warm" for t in threading.enumerate())


def test_a_failing_import_is_left_for_its_real_use_and_the_block_error_passes(modules):
    with (
        pytest.raises(KeyError, match="from the block"),
        warm.imports_during(("warm_probe_broken", "warm_probe_a")),
    ):
        raise KeyError("from the block")

    assert "warm_probe_broken" not in sys.modules
    assert sys.modules["warm_probe_a"].IMPORTED_BY == "afterglow-warm"
    assert not any(t.name == "afterglow-warm" for t in threading.enumerate())
    with pytest.raises(ImportError, match="broken on purpose"):
        __import__("warm_probe_broken")


def test_the_figure_modules_are_the_ones_the_engine_imports_on_first_use():
    from pathlib import Path

    engine = Path(warm.__file__).parent
    lazy = "\n".join(
        (engine / name).read_text() for name in ("stats.py", "durability.py", "mixed_algebra.py")
    )
    for module in ("scipy", "statsmodels.stats.proportion", "lifelines", "lifelines.utils"):
        assert f"from {module} import" in lazy
    assert {"scipy.stats", "scipy.optimize", "statsmodels.stats.proportion", "lifelines"} <= set(
        warm.FIGURE_MODULES
    )
