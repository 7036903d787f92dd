#!/usr/bin/env bash
# Make sure a Chromium for the browser tests exists, and print its path on stdout
# (the only thing this script prints there; messages go to stderr).
#
#   AFTERGLOW_CHROMIUM=/path/to/chrome   use that browser (must be executable)
#   otherwise                            /usr/bin/chromium, or `chromium` on PATH;
#                                        as root, install Debian's package if missing.
#
# The browser tests read AFTERGLOW_CHROMIUM (default /usr/bin/chromium); `make test`
# sets it to what this script prints.
set -euo pipefail

say() { echo "ensure-chromium: $*" >&2; }

if [ -n "${AFTERGLOW_CHROMIUM:-}" ]; then
    if [ -f "$AFTERGLOW_CHROMIUM" ] && [ -x "$AFTERGLOW_CHROMIUM" ]; then
        echo "$AFTERGLOW_CHROMIUM"
        exit 0
    fi
    say "AFTERGLOW_CHROMIUM is set to '$AFTERGLOW_CHROMIUM', which is not an executable file."
    say "Point it at a Chromium or Chrome binary, or unset it to use /usr/bin/chromium."
    exit 1
fi

is_program() { [ -f "$1" ] && [ -x "$1" ]; }

find_chromium() {
    local p
    if is_program /usr/bin/chromium; then
        echo /usr/bin/chromium
        return 0
    fi
    # bash's `command -v` can name a file that is not executable: check it.
    p="$(command -v chromium 2>/dev/null || true)"
    if [ -n "$p" ] && is_program "$p"; then
        echo "$p"
        return 0
    fi
    return 1
}

if path="$(find_chromium)"; then
    echo "$path"
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Chromium not found; installing Debian's chromium package (needs network to the Debian mirror)."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >&2
    if path="$(find_chromium)"; then
        say "installed: $("$path" --version 2>/dev/null || echo "$path")"
        echo "$path"
        exit 0
    fi
    say "apt-get installed chromium but no chromium binary was found afterwards."
    exit 1
fi

cat >&2 <<'EOF'
ensure-chromium: the browser tests need Chromium, and none was found (looked at
/usr/bin/chromium and `chromium` on PATH). On Debian, install it with
`sudo apt-get install chromium`; anywhere else, point the tests at a Chromium or
Google Chrome binary you already have with `export AFTERGLOW_CHROMIUM=/path/to/chrome`.
Then run `make test` again. (Playwright's own browser download is not used.)
EOF
exit 1
