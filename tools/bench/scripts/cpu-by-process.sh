#!/usr/bin/env bash
# Runs a command (e.g. `npm run load -- --rate 300 --duration 15`) and prints the CPU time each
# part of the system used meanwhile: PostgreSQL (all backends), RabbitMQ, each service, the
# command itself, the rest. Linux only (/proc); other processes that start and end during the run
# are not counted.
# PG_DETAIL=1 splits PostgreSQL into its backends by database and its background processes.
set -euo pipefail
source "$(dirname "$0")/process-group.sh"
snapshot() {
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}; pid=${pid%/stat}
    line=$(cat "$stat" 2>/dev/null) || continue
    rest=${line##*) }
    read -r -a f <<<"$rest"
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | cut -c1-300) || continue
    process_group "$cmd"; g=$group
    if [[ $g == postgresql && -n ${PG_DETAIL:-} ]]; then
      # "postgres: 15/main: postgres shop_order 127.0.0.1(43210) idle": a backend, by database;
      # "postgres: 15/main: walwriter": a background process, by name.
      if [[ $cmd == postgres:* ]]; then
        g="pg:$(sed -E 's/^postgres: ([^ ]+\/[^ ]+: )?//; s/^[^ ]+ ([^ ]+) [0-9.]+\(.*/db \1/; s/ +$//; s/ /-/g' <<<"$cmd")"
      else
        g=pg:postmaster
      fi
    fi
    echo "$pid $g $((f[11] + f[12]))"
  done
}
before=$(mktemp); after=$(mktemp); own=$(mktemp); trap 'rm -f "$before" "$after" "$own"' EXIT
snapshot >"$before"
start=$(date +%s.%N)
# The command has ended before the second snapshot, so its own CPU comes from `times` (the
# subshell's children: the command and whatever it started and waited for).
( "$@"; times >"$own" )
end=$(date +%s.%N)
snapshot >"$after"
# "0m1.234s 0m0.567s": user and system time of the subshell's children, on the second line.
command_seconds=$(sed -n 2p "$own" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); n += t[1] * 60 + t[2] } print n }')
awk -v secs="$(echo "$end - $start" | bc)" -v hz="$(getconf CLK_TCK)" -v own="$command_seconds" '
  NR == FNR { t0[$1] = $3; next }
  { used[$2] += $3 - ($1 in t0 ? t0[$1] : 0) }
  END {
    used["load-generator"] += own * hz
    printf "\nCPU over %.1f s (100%% = one core)\n", secs
    for (g in used) { total += used[g]; printf "  %-15s %7.1f s %6.1f%%\n", g, used[g] / hz, 100 * used[g] / hz / secs | "sort -k2 -rn" }
    close("sort -k2 -rn")
    printf "  %-15s %7.1f s %6.1f%%\n", "total", total / hz, 100 * total / hz / secs
  }' "$before" "$after"
