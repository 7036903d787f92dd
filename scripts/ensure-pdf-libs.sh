#!/usr/bin/env bash
# Make sure the system libraries WeasyPrint needs for PDF reports (Pango, with
# HarfBuzz and fontconfig, and a font) are present. They are not Python packages, so
# pip cannot install them.
#
#   present          nothing to do
#   missing, root    install Debian's packages with apt-get
#   missing, other   print how to install them and carry on: everything except the
#                    PDF downloads works, and those answer with the same instructions.
set -euo pipefail

say() { echo "ensure-pdf-libs: $*" >&2; }

have_pango() {
    ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' \
        && ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'
}

if have_pango; then
    exit 0
fi

PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Pango not found; installing ${PACKAGES[*]} for PDF reports."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >&2
    have_pango && exit 0
    say "apt-get finished but Pango is still not visible to the linker."
    exit 1
fi

say "PDF reports need Pango, which was not found. On Debian/Ubuntu:"
say "  sudo apt-get install ${PACKAGES[*]}"
say "Everything else works without it; PDF downloads explain this until it is installed."
exit 0
