#!/bin/sh
# Debian packages some integration tests use: chromium (tests/web) and a compose client
# (tests/project/test_docker.py). Installed when missing and apt-get can (as root);
# otherwise a note, and those tests skip (under CI=true they fail).
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    missing="$missing docker-compose"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing$missing for the integration tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } \
        >/dev/null 2>&1 || echo "note: could not install$missing; the tests that need it skip"
else
    echo "note:$missing missing; the tests that need it skip (apt-get install$missing)"
fi
