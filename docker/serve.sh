#!/bin/sh
# Run Ripple's ASGI server: WORKERS uvicorn processes on HOST:PORT, behind a proxy.
# The same flags as `make serve`; every setting comes from the environment.
set -eu
exec uvicorn project.asgi:application \
    --host "${HOST:-0.0.0.0}" \
    --port "${PORT:-8000}" \
    --workers "${WORKERS:-1}" \
    --ws-max-size 65536 \
    --ws-per-message-deflate false \
    --proxy-headers \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
    --timeout-keep-alive 75 \
    --timeout-graceful-shutdown 30 \
    --lifespan off \
    --no-access-log
