"""The Jinja2 environment for row partials (issue 13 §2).

Long staff lists (the worklist's rows) render their rows with Jinja2, which compiles a
template to Python and writes a page of rows about fifteen times faster than Django's
engine. Only rows whose text, flags and links a selector has already worked out go here
(display rows): the partials hold markup, no logic, so the Jinja2 side needs no filters
or tags of its own. A Django template includes one with ``{% jinja_include %}``
(:mod:`afterglow.core.templatetags.jinja_rows`).

Autoescaping is on (Django's backend default), and an undefined name is an error rather
than an empty string, so a misspelt field fails the tests instead of leaving a blank cell.
"""

from __future__ import annotations

from typing import Any

import jinja2


def environment(**options: Any) -> jinja2.Environment:
    options["undefined"] = jinja2.StrictUndefined
    options.setdefault("autoescape", True)
    return jinja2.Environment(**options)
