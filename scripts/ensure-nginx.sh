#!/usr/bin/env bash
# Make sure nginx and openssl exist for the production-stack test, and print nginx's
# path on stdout (the only thing this script prints there; messages go to stderr).
#
#   AFTERGLOW_NGINX=/path/to/nginx   use that binary (must be executable)
#   otherwise                        /usr/sbin/nginx, or `nginx` on PATH; as root,
#                                    install Debian's nginx (and openssl) if missing.
#
# The test runs nginx itself, as a child process with its own prefix, on loopback: the
# system's nginx service is neither needed nor touched (Debian may start it on install;
# it is left as it is).
set -euo pipefail

say() { echo "ensure-nginx: $*" >&2; }

if [ -n "${AFTERGLOW_NGINX:-}" ]; then
    if [ -f "$AFTERGLOW_NGINX" ] && [ -x "$AFTERGLOW_NGINX" ]; then
        echo "$AFTERGLOW_NGINX"
        exit 0
    fi
    say "AFTERGLOW_NGINX is set to '$AFTERGLOW_NGINX', which is not an executable file."
    exit 1
fi

find_nginx() {
    local p
    for p in /usr/sbin/nginx "$(command -v nginx 2>/dev/null || true)"; do
        if [ -n "$p" ] && [ -f "$p" ] && [ -x "$p" ]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

if path="$(find_nginx)" && command -v openssl >/dev/null 2>&1; then
    echo "$path"
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "nginx or openssl not found; installing Debian's nginx-light and openssl."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends nginx-light openssl >&2 \
        || apt-get install -y -q --no-install-recommends nginx openssl >&2
    if path="$(find_nginx)"; then
        say "installed: $("$path" -v 2>&1)"
        echo "$path"
        exit 0
    fi
    say "apt-get finished but no nginx binary was found afterwards."
    exit 1
fi

cat >&2 <<'MSG'
ensure-nginx: the production-stack test needs nginx and openssl, and none was found.
On Debian: `sudo apt-get install nginx openssl`; elsewhere, point the test at an nginx
binary with `export AFTERGLOW_NGINX=/path/to/nginx`. Then run `make test` again.
MSG
exit 1
