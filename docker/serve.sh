#!/bin/sh
# Run Ripple's ASGI server: WORKERS uvicorn processes on HOST:PORT, behind a proxy.
# The same flags as `make serve`; every setting comes from the environment.
set -eu

# prometheus_client's multiprocess mode: each worker writes its metrics to files here and
# /metrics on any worker sums them. The directory must start empty, or a previous run's
# counts would be added again: a new private one unless PROMETHEUS_MULTIPROC_DIR names one,
# which is then emptied of metric files.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f -name '*.db' -delete
else
    PROMETHEUS_MULTIPROC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ripple-metrics.XXXXXX")
fi
export PROMETHEUS_MULTIPROC_DIR

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
