#!/bin/sh
# Renders deploy/haproxy.cfg.in for a set of instances, to stdout.
#
#   deploy/render-haproxy.sh [--resolver HOST:PORT] [--origins LIST] BIND NAME=HOST:PORT...
#
#   BIND            where the balancer listens, e.g. 127.0.0.1:8000 or :8000
#   NAME=HOST:PORT  one instance: its --instance-id (A-Z a-z 0-9 _ -) and address
#   --resolver      a DNS server to re-resolve HOST names with (Docker's is
#                   127.0.0.11:53): a container that restarts may get another address
#   --origins       the pages' origins, comma-separated, as the instances'
#                   --allowed-origins (the same default): HAProxy's own answers (its
#                   503s, 404s, 502s) carry CORS headers for them, so a page can read them
#
# `make scale` and the balancer test render it for 127.0.0.1 and free ports; the rendered
# deploy/haproxy.cfg (what docker-compose.yml mounts) is
#   deploy/render-haproxy.sh --resolver 127.0.0.11:53 :8000 \
#     a=backend-a:8080 b=backend-b:8080 c=backend-c:8080
set -eu
here=$(dirname "$0")
resolver=
origins=http://localhost:3000,http://127.0.0.1:3000
while :; do
  case "${1:-}" in
    --resolver) resolver=${2:?--resolver needs HOST:PORT}; shift 2 ;;
    --origins) origins=${2:?--origins needs a comma-separated list}; shift 2 ;;
    *) break ;;
  esac
done
case "$origins" in
  *'*'* | *' '* | ,* | *, | *,,*)
    echo "render-haproxy.sh: --origins '$origins': list each origin by name (scheme://host:port), comma-separated; no '*' (the answers carry credentials)" >&2
    exit 2 ;;
esac
bind=${1:?usage: render-haproxy.sh [--resolver HOST:PORT] [--origins LIST] BIND NAME=HOST:PORT...}
shift
[ "$#" -gt 0 ] || { echo "render-haproxy.sh: name at least one instance (NAME=HOST:PORT)" >&2; exit 2; }
for instance in "$@"; do
  case "$instance" in
    *=*:*) ;;
    *) echo "render-haproxy.sh: '$instance' is not NAME=HOST:PORT" >&2; exit 2 ;;
  esac
  name=${instance%%=*}
  case "$name" in
    '' | *[!A-Za-z0-9_-]*)
      echo "render-haproxy.sh: instance name '$name': use A-Z a-z 0-9 _ -" >&2; exit 2 ;;
  esac
done

awk -v bind="$bind" -v resolver="$resolver" -v origins="$origins" -v list="$*" '
  BEGIN {
    print "# Rendered by deploy/render-haproxy.sh " (resolver == "" ? "" : "--resolver " resolver " ") "--origins " origins " " bind " " list
    print "# from deploy/haproxy.cfg.in: edit the template, not this file."
    print ""
    n = split(list, instances, " ")
    for (i = 1; i <= n; i++) {
      eq = index(instances[i], "=")
      names[i] = substr(instances[i], 1, eq - 1)
      addrs[i] = substr(instances[i], eq + 1)
      pins = pins (i > 1 ? " " : "") names[i]
    }
    dns = resolver == "" ? "" : " resolvers dns resolve-prefer ipv4"
  }
  /ANCHOR(_END)?: / { next }
  /^@RESOLVERS@$/ {
    if (resolver != "") {
      print "resolvers dns"
      print "    nameserver dns1 " resolver
      print "    hold valid 5s"
      print ""
    }
    next
  }
  /^@SERVERS@$/ {
    for (i = 1; i <= n; i++) print "    server " names[i] " " addrs[i] dns
    next
  }
  /^@PIN_BACKENDS@$/ {
    for (i = 1; i <= n; i++) {
      print "backend pin_" names[i]
      print "    server " names[i] " " addrs[i] " track instances/" names[i] " on-marked-down shutdown-sessions init-addr libc,none" dns
      print ""
    }
    next
  }
  {
    gsub(/@BIND@/, bind)
    gsub(/@PINS@/, pins)
    if (index($0, "@ORIGINS@")) { spaced = origins; gsub(/,/, " ", spaced); gsub(/@ORIGINS@/, spaced) }
    print
  }
' "$here/haproxy.cfg.in"
