#!/usr/bin/env bash
# Runs a command (e.g. `npm run load -- --rate 300 --duration 15`) and prints the CPU time each
# part of the system used meanwhile: PostgreSQL (all backends), RabbitMQ, each service, the rest.
# Linux only (/proc); processes that start and end during the run are not counted.
set -euo pipefail
snapshot() {
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}; pid=${pid%/stat}
    line=$(cat "$stat" 2>/dev/null) || continue
    rest=${line##*) }
    read -r -a f <<<"$rest"
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-300) || continue
    case "$cmd" in
      *services/order/*) g=order ;; *services/inventory/*) g=inventory ;; *services/payment/*) g=payment ;;
      *services/warehouse/*) g=warehouse ;; *services/email/*) g=email ;; *beam.smp*) g=rabbitmq ;;
      *postgres*) g=postgresql ;; *tools/load/*) g=load-generator ;; *) g=other ;;
    esac
    echo "$pid $g $((f[11] + f[12]))"
  done
}
before=$(mktemp); after=$(mktemp); trap 'rm -f "$before" "$after"' EXIT
snapshot >"$before"
start=$(date +%s.%N)
"$@"
end=$(date +%s.%N)
snapshot >"$after"
awk -v secs="$(echo "$end - $start" | bc)" -v hz="$(getconf CLK_TCK)" '
  NR == FNR { t0[$1] = $3; next }
  { used[$2] += $3 - ($1 in t0 ? t0[$1] : 0) }
  END {
    printf "\nCPU over %.1f s (100%% = one core)\n", secs
    for (g in used) { total += used[g]; printf "  %-15s %7.1f s %6.1f%%\n", g, used[g] / hz, 100 * used[g] / hz / secs | "sort -k2 -rn" }
    close("sort -k2 -rn")
    printf "  %-15s %7.1f s %6.1f%%\n", "total", total / hz, 100 * total / hz / secs
  }' "$before" "$after"
