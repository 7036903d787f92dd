#!/usr/bin/env bash
# Regenerate the phone screenshots of the Today board and the chair-side alert panel:
# docs/screenshots/today-board-phone.png and docs/screenshots/alert-panel-phone.png
# (390×844, 1× pixels). They are taken by the browser tests that check those pages.
set -euo pipefail
cd "$(dirname "$0")/.."
AFTERGLOW_CHROMIUM="$(scripts/ensure-chromium.sh)" AFTERGLOW_DOCS_SHOTS=1 \
  .venv/bin/pytest tests/browser/test_today_board.py -q -p no:cacheprovider "$@"
ls -l docs/screenshots/today-board-phone.png docs/screenshots/alert-panel-phone.png
