# Liveboard — one command to run the app, one to test everything.
#   make dev    backend (embedded defaults, no external service) + web, prints the URL
#   make test   every Rust, web, book and end-to-end check, as CI runs it
SHELL := /bin/bash
export NEXT_TELEMETRY_DISABLED := 1
export CARGO_TERM_COLOR := never

.PHONY: dev test lint-rust test-rust test-web docs e2e build-bins clean

dev: web/node_modules
	./scripts/dev.sh

test: lint-rust test-rust test-web docs e2e
	@echo "make test: all checks passed"

lint-rust:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

test-rust:
	cargo test --workspace --locked

test-web: web/node_modules
	npm --prefix web run typecheck
	npm --prefix web run lint
	npm --prefix web run test
	npm --prefix web run build

docs:
	python3 scripts/check-includes.py
	mdbook build docs

build-bins:
	cargo build --workspace --bins --locked

# End-to-end: real Chromium against the built web app and the real backend binary.
e2e: build-bins web/node_modules
	test -f web/.next/BUILD_ID || npm --prefix web run build
	LIVEBOARD_BACKEND_BIN=$(CURDIR)/target/debug/liveboard npm --prefix web run e2e

web/node_modules: web/package-lock.json
	npm --prefix web ci --no-audit --no-fund
	@touch web/node_modules

clean:
	cargo clean
	rm -rf web/.next docs/book
