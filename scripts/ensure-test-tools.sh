#!/bin/sh
# Debian packages some integration tests use: chromium (tests/web) and a compose client
# (tests/project/test_docker.py). Installed when missing and apt-get can (as root), after
# saying what and why; otherwise a note, and those tests skip (under CI=true they fail).
# SKIP_TEST_TOOLS=1 installs nothing.
missing=""
why=""
if [ ! -x /usr/bin/chromium ]; then
    missing="$missing chromium"
    why="$why
  chromium        the browser tests in tests/web drive it headless through Playwright"
fi
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    missing="$missing docker-compose"
    why="$why
  docker-compose  tests/project/test_docker.py validates docker/compose.yaml with it"
fi
[ -z "$missing" ] && exit 0
if [ -n "${SKIP_TEST_TOOLS:-}" ]; then
    echo "note:$missing missing (SKIP_TEST_TOOLS is set); the tests that need it skip"
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log="${TMPDIR:-/tmp}/ripple-test-tools.log"
    echo "Installing Debian packages for the integration tests (SKIP_TEST_TOOLS=1 to skip):$why"
    echo "  apt-get update && apt-get install -y$missing   (chromium: about 300 MB; log: $log)"
    if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } \
        >"$log" 2>&1; then
        echo "Installed$missing."
    else
        echo "note: could not install$missing (see $log); the tests that need it skip"
    fi
else
    echo "note:$missing missing; the tests that need it skip. To install:$why"
    echo "  sudo apt-get install$missing"
fi
