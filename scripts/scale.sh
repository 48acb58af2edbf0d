#!/usr/bin/env bash
# `make scale`: phase 7's topology on this machine, without Docker — redis-server,
# nats-server, N `liveboard` instances sharing them, HAProxy in front (rendered from
# deploy/haproxy.cfg.in, as docker-compose.yml's is) and the web app if it is built.
# Everything listens on 127.0.0.1; Ctrl-C stops what this script started (by PID), and
# nothing else.
#
#   scripts/scale.sh [--instances N] [--port P] [--web-port P] [--no-web] [--check] [-- FLAG...]
#
#   --instances N   backends a, b, c, … (default 3, at most 26)
#   --port P        the balancer's port (default 8000, or $SCALE_PORT)
#   --web-port P    the web app's port (default 3000, or $WEB_PORT)
#   --no-web        do not start the web app (it starts only if `npm --prefix web run build` ran)
#   --check         start everything on free ports in a scratch directory (no web app),
#                   check the topology through the balancer, stop, and exit 0 or 1
#   -- FLAG...      more flags for every instance, e.g. -- --log debug
#
# State (Redis's append-only file, each instance's data directory, the shared session
# key, the logs) lives in .scale/ (git-ignored; $SCALE_DIR elsewhere): boards survive a
# restart of the whole topology. Delete the directory to start afresh.
set -euo pipefail
cd "$(dirname "$0")/.."

instances=3
port=${SCALE_PORT:-8000}
web_port=${WEB_PORT:-3000}
web=auto
check=false
dir=${SCALE_DIR:-.scale}
extra=()
while (($#)); do
  case "$1" in
    --instances) instances=${2:?--instances needs a number}; shift 2 ;;
    --port) port=${2:?--port needs a port}; shift 2 ;;
    --web-port) web_port=${2:?--web-port needs a port}; shift 2 ;;
    --no-web) web=no; shift ;;
    --check) check=true; shift ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale.sh: unknown argument '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done
[[ $instances =~ ^[0-9]+$ ]] && ((instances >= 1 && instances <= 26)) ||
  { echo "scale.sh: --instances takes 1 to 26" >&2; exit 2; }
! $check || ((instances >= 2)) || { echo "scale.sh: --check needs two instances or more" >&2; exit 2; }
for program in redis-server nats-server haproxy curl python3; do
  command -v "$program" >/dev/null ||
    { echo "scale.sh: $program is missing (Debian: sudo ./scripts/install-deps.sh)" >&2; exit 1; }
done

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if $check; then
  dir=$(mktemp -d)
  port=$(free_port)
  web=no
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Every process started here, in start order; stopped in reverse order on exit.
pids=()
watchdog=
stop_all() {
  trap - EXIT INT TERM
  local live=() pid
  for pid in "${pids[@]}"; do
    # Only our own children: a PID already reaped may belong to someone else by now.
    [[ $(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ') == "$$" ]] && live+=("$pid")
  done
  for ((i = ${#live[@]} - 1; i >= 0; i--)); do kill -TERM "${live[i]}" 2>/dev/null || true; done
  if ((${#live[@]})); then
    # Whoever ignores SIGTERM for 15 s gets SIGKILL. Until `wait` reaps them, these
    # PIDs stay ours (a zombie keeps its PID), so the watchdog cannot hit a stranger.
    (sleep 15 && kill -KILL "${live[@]}" 2>/dev/null) &
    watchdog=$!
    wait "${live[@]}" 2>/dev/null || true
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" 2>/dev/null || true
  fi
  if $check; then rm -rf "$dir"; fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

fail() {
  echo "scale.sh: $*" >&2
  exit 1
}

# Runs "$@" every 100 ms until it succeeds, for at most 15 s; fails naming `what` and
# the log to read if the process `pid` exited meanwhile or time ran out.
wait_until() {
  local what=$1 pid=$2 log=$3
  shift 3
  local deadline=$((SECONDS + 15))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2 || true
      fail "$what: the process exited (log: $log)"
    fi
    ((SECONDS < deadline)) || { tail -n 20 "$log" >&2 || true; fail "$what: not within 15 s (log: $log)"; }
    sleep 0.1
  done
}

# Whether something on 127.0.0.1:$1 answers the bytes $2 with a reply starting with $3.
answers() {
  local reply
  reply=$(timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "%b" "$2" >&3 && head -c "$3" <&3' \
    _ "$1" "$2" "${#3}" 2>/dev/null) || return 1
  [[ $reply == "$3" ]]
}

echo "scale.sh: building the backend (cargo build -p liveboard)"
cargo build --quiet -p liveboard
liveboard=${CARGO_TARGET_DIR:-$PWD/target}/debug/liveboard

redis_port=$(free_port)
mkdir -p "$dir/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" \
  --appendonly yes --appendfsync always --dir "$dir/redis" >"$dir/redis.log" 2>&1 &
pids+=($!)
wait_until "redis-server on port $redis_port" "${pids[-1]}" "$dir/redis.log" answers "$redis_port" 'PING\r\n' '+PONG'

nats_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" >"$dir/nats.log" 2>&1 &
pids+=($!)
wait_until "nats-server on port $nats_port" "${pids[-1]}" "$dir/nats.log" answers "$nats_port" '' 'INFO'

# ANCHOR: scale_instances
names=()
servers=()
declare -A instance_pid
letters=({a..z})
for ((i = 0; i < instances; i++)); do
  name=${letters[i]}
  mkdir -p "$dir/$name"
  # One after the other: the first creates the shared session key, the others read it.
  "$liveboard" --bind 127.0.0.1:0 --instance-id "$name" \
    --redis-url "redis://127.0.0.1:$redis_port" --nats-url "nats://127.0.0.1:$nats_port" \
    --board-access open --data-dir "$dir/$name" --session-secret-file "$dir/session.key" \
    --max-connections-per-ip 0 --board-rate-per-ip 0 \
    --allowed-origins "http://localhost:$web_port,http://127.0.0.1:$web_port" \
    "${extra[@]}" >"$dir/$name.out" 2>"$dir/$name.log" &
  pids+=($!)
  instance_pid[$name]=$!
  wait_until "instance $name" "$!" "$dir/$name.log" grep -q '^listening on http://' "$dir/$name.out"
  addr=$(sed -n 's|^listening on http://||p' "$dir/$name.out" | head -n 1)
  names+=("$name")
  servers+=("$name=$addr")
done
# ANCHOR_END: scale_instances

# ANCHOR: scale_balancer
deploy/render-haproxy.sh --origins "http://localhost:$web_port,http://127.0.0.1:$web_port" \
  "127.0.0.1:$port" "${servers[@]}" >"$dir/haproxy.cfg"
haproxy -c -q -f "$dir/haproxy.cfg" || fail "HAProxy refused $dir/haproxy.cfg"
haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
pids+=($!)
wait_until "HAProxy on port $port" "${pids[-1]}" "$dir/haproxy.log" curl -fsS "http://127.0.0.1:$port/health"
# ANCHOR_END: scale_balancer

if [[ $web == auto ]]; then
  if [[ -f web/.next/BUILD_ID && -d web/node_modules ]]; then
    (cd web && LIVEBOARD_BACKEND_URL="http://localhost:$port" NEXT_TELEMETRY_DISABLED=1 \
      exec ./node_modules/.bin/next start --hostname 127.0.0.1 --port "$web_port") >"$dir/web.log" 2>&1 &
    pids+=($!)
    wait_until "the web app on port $web_port" "${pids[-1]}" "$dir/web.log" curl -fsS "http://127.0.0.1:$web_port/runtime-config"
  else
    web=no
    echo "scale.sh: the web app is not built (npm --prefix web ci && npm --prefix web run build): starting without it"
  fi
fi

# The checks of `--check`: through the balancer only, as a browser would reach it.
run_check() {
  local base="http://127.0.0.1:$port" name got code token stream board="scale-check-$RANDOM"
  for name in a b; do
    got=$(curl -fsS "$base/i/$name/scale/instance") || fail "check: GET /i/$name/scale/instance failed"
    [[ $got == *"\"instance\":\"$name\""* ]] || fail "check: /i/$name/ reached another instance: $got"
  done
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base/i/nobody/health")
  [[ $code == 404 ]] || fail "check: an unknown pin answered $code, not 404"

  # An event stream opened on b receives, unbuffered, a message posted on a.
  curl -sN "$base/i/b/boards/$board/events" >"$dir/check-stream" 2>&1 &
  stream=$!
  pids+=("$stream")
  wait_until "check: the stream on b opens" "$stream" "$dir/check-stream" grep -q '^event: ready' "$dir/check-stream"
  token="from-a-$RANDOM$RANDOM"
  curl -fsS -H 'content-type: application/json' -H "origin: http://localhost:$web_port" \
    -d "{\"text\":\"$token\",\"name\":\"check\"}" "$base/i/a/boards/$board/messages" >/dev/null ||
    fail "check: POST /i/a/boards/$board/messages failed"
  wait_until "check: a's message on b's stream" "$stream" "$dir/check-stream" grep -q "$token" "$dir/check-stream"

  # A killed instance: the balancer sends every request to the others (retried on
  # another instance while its health check has not yet taken it out).
  kill -KILL "${instance_pid[a]}"
  wait "${instance_pid[a]}" 2>/dev/null || true
  for _ in 1 2 3 4 5 6; do
    got=$(curl -fsS "$base/scale/instance") || fail "check: a request failed after instance a was killed"
    [[ $got != *'"instance":"a"'* ]] || fail "check: a dead instance answered: $got"
  done
  echo "scale.sh --check: pins reach their instances, a change on a reaches b's stream through the balancer, and requests avoid a killed instance"
}

if $check; then
  run_check
  exit 0
fi

cat <<EOF

  Liveboard, scaled out (state and logs in $dir):
    balancer     http://localhost:$port            (HAProxy: leastconn over ${names[*]})
    one instance http://localhost:$port/i/<name>/… (e.g. /i/a/scale/instance)
    balancer     http://localhost:$port/balancer/stats
EOF
if [[ $web != no ]]; then
  echo "    web app      http://localhost:$web_port"
fi
echo "    redis        redis://127.0.0.1:$redis_port    nats  nats://127.0.0.1:$nats_port"
for name in "${names[@]}"; do
  echo "    instance $name   pid ${instance_pid[$name]}  (kill -9 ${instance_pid[$name]} to crash it)"
done
echo
echo "  Ctrl-C stops everything started here."
echo
wait
