#!/usr/bin/env bash
# CPU per process for a fixed load, to compare settings (A/B) with less noise than a capacity
# figure: starts the native stack on fresh databases with the given environment, warms it up,
# runs `npm run load -- --rate RATE --duration SECONDS` under cpu-by-process.sh and stops the stack.
# Spans, when tracing is on, go to a counting OTLP sink (tools/bench/src/otlp-sink.ts).
#
#   tools/bench/scripts/cpu-at-rate.sh 100 20 OTEL_SDK_DISABLED=true
#   tools/bench/scripts/cpu-at-rate.sh 100 20 OTEL_SDK_DISABLED=false OTEL_TRACES_SAMPLER=always_off
#   WARM_UP_RATE=75 WARM_UP_SECONDS=15 tools/bench/scripts/cpu-at-rate.sh 75 60 ...   (a longer warm-up)
#
# Needs the build (npm run build), PostgreSQL and RabbitMQ as for npm run stack, and the stack's
# ports free. Run each setting more than once: single runs vary by about 5%.
set -euo pipefail
rate=$1; seconds=$2; shift 2
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
node=node_modules/.bin/node
psql_url=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
cleanup() {
  [[ -n ${stack:-} ]] && kill -INT "$stack" 2>/dev/null && wait "$stack" 2>/dev/null || true
  [[ -n ${sink:-} ]] && kill "$sink" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Fresh databases: this PostgreSQL may run without autovacuum, and bloat from earlier runs skews a comparison.
services=$("$node" -p "require('./packages/catalog').SERVICE_NAMES.join(' ')")
for service in $services; do
  psql -q "$psql_url" -c "DROP DATABASE IF EXISTS shop_$service WITH (FORCE)" >/dev/null
done

"$node" tools/bench/dist/src/otlp-sink.js >"$work/sink.log" &
sink=$!
for _ in $(seq 50); do grep -q 'http://' "$work/sink.log" && break; sleep 0.1; done
endpoint=$(grep -o 'http://[0-9.:]*' "$work/sink.log")

env OTEL_EXPORTER_OTLP_ENDPOINT="$endpoint" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf "$@" "$node" tools/stack/dist/src/main.js >"$work/stack.log" 2>&1 &
stack=$!
for _ in $(seq 120); do grep -q 'ready in' "$work/stack.log" && break; sleep 0.5; done
grep -q 'ready in' "$work/stack.log" || { cat "$work/stack.log" >&2; exit 1; }

# Warm-up (JIT, pools, connections): WARM_UP_RATE orders/s for WARM_UP_SECONDS, not measured.
"$node" tools/load/dist/src/main.js --rate "${WARM_UP_RATE:-20}" --duration "${WARM_UP_SECONDS:-5}" >/dev/null
echo "settings: ${*:-(defaults)}"
bash tools/bench/scripts/cpu-by-process.sh "$node" tools/load/dist/src/main.js --rate "$rate" --duration "$seconds" | grep -v '^\(orders\|sagas \) \['
