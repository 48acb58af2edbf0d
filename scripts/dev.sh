#!/usr/bin/env bash
# Starts the backend (cargo run: embedded defaults, no external service) and the web app
# (next dev) together; Ctrl-C stops both. Only the processes started here are stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

cargo build -p liveboard
# The web app's origin must be allowed, whatever port it runs on. --lab-receiver: the
# protocol lab page (/phases/8) receives webhooks through the server's own receiver.
LIVEBOARD_ALLOWED_ORIGINS="${LIVEBOARD_ALLOWED_ORIGINS:-http://localhost:${WEB_PORT:-3000},http://127.0.0.1:${WEB_PORT:-3000}}" \
  "${CARGO_TARGET_DIR:-target}/debug/liveboard" --lab-receiver &
backend=$!
npm --prefix web run dev -- --port "${WEB_PORT:-3000}" &
web=$!
cleanup() {
  kill "$backend" "$web" 2>/dev/null || true
  wait "$backend" "$web" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
echo
echo "  Liveboard is starting:"
echo "    web app  http://localhost:${WEB_PORT:-3000}"
echo "    backend  http://127.0.0.1:8080/health"
echo "  Ctrl-C stops both."
echo
wait -n "$backend" "$web"
