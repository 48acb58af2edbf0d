# Liveboard — one command to run the app, one to test everything.
#   make dev    backend (embedded defaults, no external service) + web, prints the URL
#   make test   every Rust, web, book and end-to-end check, as CI runs it
#   make tags   the phase tags (phase-1, phase-2, …) from tags.tsv, so `git checkout phase-N` works
#   make exercises / exercise-start EX=… / exercise-check EX=… / exercise-restore EX=…
#   make book   the book on http://localhost:3001 (the web app has :3000)
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export NEXT_TELEMETRY_DISABLED := 1
export CARGO_TERM_COLOR := never

.PHONY: deps dev test lint-rust test-rust test-web docs e2e build-bins clean book \
	tags check-tags check-phases exercises exercise-start exercise-check exercise-restore \
	check-exercises failures

dev: web/node_modules
	./scripts/dev.sh

test: deps lint-rust test-rust check-tags check-exercises test-web docs e2e
	@echo "make test: all checks passed"

# What a fresh machine lacks (Chromium, nats-server, redis-server, mdBook, …); a no-op
# once everything is there. See the script for the list.
deps:
	./scripts/install-deps.sh

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

book:
	mdbook serve docs -p 3001

# Phase tags, from the repository alone (tags.tsv; see its header).
tags:
	python3 scripts/phase-tags.py create

# Cheap: every tagged commit exists, is an ancestor of HEAD, and its Cargo.lock is --locked clean.
check-tags:
	python3 scripts/phase-tags.py check

# Heavy (not part of `make test`): build and test every tagged commit in its own worktree.
check-phases:
	python3 scripts/phase-tags.py check-phases

# Workshop exercises (exercises/exercises.toml): regions of the real code, cut out and put back.
exercises:
	@python3 scripts/exercise.py list

exercise-start exercise-check exercise-restore: exercise-%:
	@test -n "$(EX)" || { echo "usage: make exercise-$* EX=<id>   (make exercises lists them)"; exit 2; }
	@python3 scripts/exercise.py $* $(EX)

# Every stub fails its check, every solution passes it, the tree ends as it started.
check-exercises: web/node_modules
	python3 scripts/exercise.py verify

# Each chapter's failure story, run for real (ignored tests named failure_*).
failures:
	python3 scripts/exercise.py failures

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
