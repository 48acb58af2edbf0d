# Liveboard — one command to run the app, one to test everything.
#   make dev    backend (embedded defaults, no external service) + web, prints the URL
#   make scale  phase 7's topology without Docker: redis, nats, 3 backends, HAProxy, web
#   make test   every Rust, web, book and end-to-end check, as CI runs it
#   make tags   the phase tags (phase-1, phase-2, …) from tags.tsv, so `git checkout phase-N` works
#   make exercises / exercise-start EX=… / exercise-check EX=… / exercise-restore EX=…
#   make book   the book on http://localhost:3001 (the web app has :3000)
#   make bench  the benchmark suite: tables in bench/results/latest.md, charts in docs/src/charts/
#   make lab-figures  the protocol lab's figures (chapter 8), measured in Chromium
#   make fuzz   each fuzz target for FUZZ_SECONDS (30) on nightly; not part of `make test`
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export NEXT_TELEMETRY_DISABLED := 1
export CARGO_TERM_COLOR := never
# Where cargo puts its builds: CARGO_TARGET_DIR when it is set (cargo honours it), else ./target.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)

.PHONY: deps dev test lint-rust test-rust test-web docs e2e build-bins clean book \
	tags check-tags check-phases exercises exercise-start exercise-check exercise-restore \
	check-exercises failures bench bench-smoke fuzz scale scale-check lab-figures

dev: web/node_modules
	./scripts/dev.sh

test: deps lint-rust test-rust bench-smoke scale-check check-tags check-exercises test-web docs e2e
	@echo "make test: all checks passed"

# Phase 7's deployment on this machine (scripts/scale.sh; docker-compose.yml is the same
# topology in containers): redis-server, nats-server, SCALE_ARGS' instances (3 by default)
# of `liveboard`, HAProxy on http://localhost:8000 and the web app if it is built. Ctrl-C
# stops everything it started. `make scale SCALE_ARGS="--instances 2 --no-web"`.
# scale-check starts it all on free ports, checks it through the balancer, and stops
# (a few seconds after the build; part of `make test`).
scale:
	./scripts/scale.sh $(SCALE_ARGS)

scale-check:
	./scripts/scale.sh --check

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

# Fuzzing (not part of `make test`): each target of fuzz/targets for FUZZ_SECONDS on the
# nightly toolchain, one after the other, from the committed seeds (fuzz/corpus/<target>,
# read only) and a scratch corpus (fuzz/targets/corpus/<target>, kept between runs). A
# finding is written to fuzz/targets/artifacts/<target>/: copy it to
# fuzz/regressions/<target>/, which the stable test (`cargo test -p liveboard-fuzz-checks`)
# replays forever, and fix the crate.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= websocket_frames websocket_handshake board_envelope note_request event_stream
fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/targets/corpus/$$target; \
		echo "== fuzz $$target for $(FUZZ_SECONDS) s"; \
		cargo +nightly fuzz run -O --fuzz-dir fuzz/targets $$target \
			fuzz/targets/corpus/$$target fuzz/corpus/$$target \
			-- -max_total_time=$(FUZZ_SECONDS) -max_len=4096 || exit 1; \
	done

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
	LIVEBOARD_BACKEND_BIN=$(TARGET_DIR)/debug/liveboard npm --prefix web run e2e

# The protocol lab's figures (chapter 8's measured table): the e2e stack with
# --lab-receiver, /phases/8 in Chromium, one Markdown table per setting on stdout with the
# date and load average, against a release build of the backend (figures, not a check).
# A few minutes; not part of `make test`.
#   LAB_ARGS="--events 60 --settings 1000:1,250:5,5000:0.5"   (the defaults)
lab-figures: web/node_modules
	cargo build --locked --release -p liveboard
	test -f web/.next/BUILD_ID || npm --prefix web run build
	cd web && LIVEBOARD_BACKEND_BIN=$(TARGET_DIR)/release/liveboard node e2e/lab-figures.mjs $(LAB_ARGS)

# Benchmarks (docs/src/benchmarks.md). `make bench` measures the full suite the chapter
# uses (about 12 minutes of measuring on 2 cores, plus the release build), appending every
# table's results to bench/results/latest.jsonl (emptied first), the Markdown tables to
# bench/results/latest.md, and rendering the charts into docs/src/charts/.
#   BENCH_QUICK=1   small sizes, one run each (a minute or two: a check, not figures)
#   BENCH_ARGS=…    more options for every scenario, e.g. BENCH_ARGS="--runs 5" or
#                   BENCH_ARGS="--liveboard-bin path/to/another/liveboard"
BENCH_RESULTS := bench/results
BENCH_CHARTS := docs/src/charts
ifeq ($(BENCH_QUICK),1)
BENCH_RUNS := --runs 1
BENCH_ECHO := --conns 16 --secs 2 --warmup-secs 1
BENCH_FANOUT_SUBS := 100,1000
BENCH_FANOUT_RATE_SUBS := 100
BENCH_FANOUT_SECS := --secs 2
BENCH_IDLE := 100,1000
BENCH_IDLE_SSE := 1000
BENCH_SHUTDOWN := 100,1000
else
BENCH_RUNS :=
BENCH_ECHO :=
BENCH_FANOUT_SUBS := 1000,10000
BENCH_FANOUT_RATE_SUBS := 1000
BENCH_FANOUT_SECS :=
BENCH_IDLE := 1000,10000,19500
BENCH_IDLE_SSE := 10000
BENCH_SHUTDOWN := 1000,10000
endif

bench:
	cargo build --release --locked -p liveboard -p liveboard-bench
	@mkdir -p $(BENCH_RESULTS) $(BENCH_CHARTS)
	@start=$$(date +%s); \
	tool="$(TARGET_DIR)/release/liveboard-bench"; \
	json="$(BENCH_RESULTS)/latest.jsonl"; md="$(BENCH_RESULTS)/latest.md"; \
	common="$(BENCH_RUNS) --json $$json $(BENCH_ARGS)"; \
	: > "$$json"; \
	echo "# liveboard-bench, $$(date -u +%Y-%m-%dT%H:%M:%SZ), commit $$(git rev-parse --short HEAD)" > "$$md"; \
	set -e; \
	$$tool echo $(BENCH_ECHO) $$common >> "$$md"; \
	$$tool fanout --subs $(BENCH_FANOUT_SUBS) --window 1 $(BENCH_FANOUT_SECS) $$common >> "$$md"; \
	$$tool fanout --subs $(BENCH_FANOUT_RATE_SUBS) --rate 50 $(BENCH_FANOUT_SECS) $$common >> "$$md"; \
	$$tool idle --conns $(BENCH_IDLE) $$common >> "$$md"; \
	$$tool idle --transport sse --conns $(BENCH_IDLE_SSE) $$common >> "$$md"; \
	$$tool shutdown --conns $(BENCH_SHUTDOWN) $$common >> "$$md"; \
	$$tool chart --input "$$json" --out $(BENCH_CHARTS); \
	$$tool check-results --input "$$json" --scenarios echo,fanout,idle,shutdown; \
	echo "make bench: tables in $$md, results in $$json, charts in $(BENCH_CHARTS)/; took $$(( $$(date +%s) - start )) s"

# CI smoke of the benchmark tool on the debug build: every scenario once at a tiny size
# against every server, the JSON written, the charts rendered and the results checked
# (nothing missing, nobody cut, every client closed with 1001). No timing is asserted.
bench-smoke:
	cargo build --locked -p liveboard -p liveboard-bench
	@dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; set -e; \
	tool="$(TARGET_DIR)/debug/liveboard-bench"; \
	cpu=$$(( $$(nproc) > 1 ? 1 : 0 )); \
	common="--runs 1 --client-cpu $$cpu --json $$dir/smoke.jsonl --log-dir $$dir/logs \
		--liveboard-arg=--data-dir=$$dir/data"; \
	$$tool echo --conns 10 --secs 1 --warmup-secs 0 $$common > $$dir/smoke.md; \
	$$tool fanout --subs 10 --secs 1 $$common >> $$dir/smoke.md; \
	$$tool fanout --subs 10 --rate 50 --secs 1 $$common >> $$dir/smoke.md; \
	$$tool idle --conns 10 --settle-secs 0 $$common >> $$dir/smoke.md; \
	$$tool idle --transport sse --conns 10 --settle-secs 0 $$common >> $$dir/smoke.md; \
	$$tool shutdown --conns 10 $$common >> $$dir/smoke.md; \
	$$tool chart --input $$dir/smoke.jsonl --out $$dir/charts; \
	test "$$(ls $$dir/charts/*.svg | wc -l)" -eq 5; \
	$$tool check-results --input $$dir/smoke.jsonl --scenarios echo,fanout,idle,shutdown
	@echo "make bench-smoke: every scenario ran against every server; charts rendered"

web/node_modules: web/package-lock.json
	npm --prefix web ci --no-audit --no-fund
	@touch web/node_modules

clean:
	cargo clean
	rm -rf web/.next docs/book
