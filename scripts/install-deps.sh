#!/usr/bin/env bash
# Installs what `make test` needs and a fresh Debian machine lacks; does nothing when all is
# there. `make test` runs it first, so the README's test command works as typed on a new
# machine; CI (.ci/run) runs the same script.
#
#   apt:   chromium (end-to-end tests), nats-server, redis-server and haproxy (scale-out
#          tests, `make scale`),
#          git, python3 3.11+ (tomllib: the tag and exercise checks)
#   cargo: mdbook (the book; Debian does not package it)
#   git:   the full history when the clone is shallow (the tag check needs tagged commits)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v nats-server >/dev/null || missing+=(nats-server)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v git >/dev/null || missing+=(git)
python3 -c 'import tomllib' 2>/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing: ${missing[*]} — install them (Debian: sudo apt-get install ${missing[*]}), then run again" >&2
    exit 1
  fi
  echo "install-deps: apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! mdbook --version >/dev/null 2>&1; then
  echo "install-deps: cargo install mdbook"
  cargo install mdbook --locked --version '^0.5' --quiet
fi

if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  echo "install-deps: git fetch --unshallow"
  git fetch --quiet --unshallow
fi
