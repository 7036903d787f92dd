"""Settings for ``make bench-web`` only: Afterglow's own, plus a bare view to compare with.

``afterglow.bench_web`` serves Afterglow with ``DJANGO_SETTINGS_MODULE`` set to this
module, so ``/bench/bare/`` exists in that run and nowhere else.
"""

from afterglow.settings import *  # noqa: F403

ROOT_URLCONF = "afterglow.bench_web_urls"
