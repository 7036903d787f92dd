"""The worked examples of docs/research-exports.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "research-exports.md"


def blocks() -> list[str]:
    text = DOC.read_text()
    return [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "assert" in b]


def test_the_documents_worked_examples_run() -> None:
    found = blocks()
    assert len(found) == 2
    for block in found:
        exec(compile(block, str(DOC), "exec"), {})


def test_the_documented_headers_are_the_exported_ones() -> None:
    from afterglow.research.redcap import HEADERS

    text = " ".join(DOC.read_text().split())
    assert all(f'"{header}"' in text for header in HEADERS)
