"""The vendored plotly.js: the basic partial bundle, of the plotly.js version the pinned
Python ``plotly`` package carries, holding every trace type a page draws, with the
compile hint that moves its compilation off the page's main thread."""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from plotly.offline import get_plotlyjs_version

SOURCE = Path(__file__).resolve().parents[2] / "src" / "afterglow"


def _bundle() -> str:
    path = finders.find("vendor/plotly/plotly.min.js")
    assert path, "plotly.min.js is not served"
    return Path(str(path)).read_text()


COMPILE_HINT = "//# allFunctionsCalledOnLoad\n"


def test_the_bundle_is_the_basic_partial_bundle_with_its_licence() -> None:
    bundle = _bundle()
    assert bundle.removeprefix(COMPILE_HINT).startswith("/**\n* plotly.js (basic - minified) v")
    assert (Path(str(finders.find("vendor/plotly/LICENSE")))).read_text().startswith("MIT License")
    # A quarter of the full bundle (4.8 MB): the point of the partial bundle.
    assert len(bundle.encode()) < 1_500_000


def test_the_bundle_matches_the_python_packages_plotly_js() -> None:
    version = re.search(r"plotly\.js \(basic - minified\) v(\S+)", _bundle())
    assert version is not None
    assert version.group(1) == get_plotlyjs_version()


def test_every_trace_type_the_figures_use_is_in_the_bundle() -> None:
    available = set(re.findall(r'moduleType:"trace",name:"(\w+)"', _bundle()))
    used: set[str] = set()
    for module in SOURCE.rglob("*.py"):
        text = module.read_text()
        used |= {name.lower() for name in re.findall(r"\bgo\.(Scatter|Bar|\w+)\(", text)}
        used |= set(re.findall(r'"type": "(scatter\w*|bar|pie|box|heatmap|histogram\w*)"', text))
    used -= {"figure", "layout"}
    assert used, "found no figure code"
    assert used <= available, f"trace types missing from the bundle: {used - available}"


def test_the_bundle_opens_with_the_compile_hint_and_nothing_else_is_added() -> None:
    # Chromium compiles every function of a script that opens with this comment on the
    # background thread that streams it, instead of one by one on the main thread when
    # the charts first call them (the chart's first visit: vendor/plotly/README.md).
    bundle = _bundle()
    assert bundle.startswith(COMPILE_HINT + "/**\n")
    assert bundle.count("allFunctionsCalledOnLoad") == 1
