#!/usr/bin/env bash
# Runs a command (e.g. `npm run load -- --rate 150 --duration 30`) and records the scheduler with
# `perf sched record` for SECONDS of it, starting AFTER seconds in. Prints, for each part of the
# system, how long its threads ran and how long they were ready to run but waited for a core:
# after a wake-up (perf's "sch delay") or after being preempted (the gap before a thread switched
# out runnable ran again). The Node processes' main threads, where their event loops run, get a
# line of their own with the distribution of single waits.
#
#   tools/bench/scripts/run-queue-waits.sh 10 10 npm run load -- --rate 150 --duration 30
#
# perf writes about 3 MB a second at 150 orders/s. Needs perf (Debian: linux-perf) and the right
# to trace the scheduler (root, or kernel.perf_event_paranoid <= 1). Linux only.
set -euo pipefail
source "$(dirname "$0")/process-group.sh"
command -v perf >/dev/null || { echo "run-queue-waits: perf is not installed (Debian: apt install linux-perf)" >&2; exit 1; }
after=$1; seconds=$2; shift 2
data=$(mktemp); groups=$(mktemp); trap 'rm -f "$data" "$groups"' EXIT

"$@" &
target=$!
sleep "$after"
perf sched record -a -q -o "$data" -- sleep "$seconds" >/dev/null 2>&1
# The group of every process alive when the recording ends, the command's included.
for dir in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null | cut -c1-300) || continue
  process_group "$cmd"
  echo "${dir#/proc/} $group"
done >"$groups"
wait "$target"

# timehist: time, cpu, "name[tid/pid]" (or "name[pid]" for a main thread), wait time, sch delay,
# run time, state at switch-out (ms).
perf sched timehist -i "$data" --state 2>/dev/null | awk '
  NR == FNR { group[$1] = $2; next }
  FNR > 3 {
    task = $3
    if (!match(task, /\[[0-9]+(\/[0-9]+)?\]$/)) next
    ids = substr(task, RSTART + 1, RLENGTH - 2)
    n = split(ids, id, "/"); tid = id[1]; pid = n == 2 ? id[2] : id[1]
    g = pid in group ? group[pid] : "other"
    wait = $5 + (preempted[tid] ? $4 : 0)
    preempted[tid] = $7 == "R"
    ran[g] += $6; waited[g] += wait
    if (tid == pid && g != "other" && g != "postgresql" && g != "rabbitmq") { # a Node process: its event loop
      m = g " main thread"; count[m]++; waits[m, count[m]] = wait; mran[m] += $6; mwaited[m] += wait
    }
  }
  END {
    printf "%-26s %10s %12s\n", "", "ran (s)", "waited (s)"
    for (g in ran) printf "%-26s %10.2f %12.2f\n", g, ran[g] / 1000, waited[g] / 1000 | "sort -k3 -rn"
    close("sort -k3 -rn")
    printf "\n%-26s %10s %12s %9s  single waits for a core (ms)\n", "", "ran (s)", "waited (s)", "switches"
    for (m in count) {
      k = count[m]; for (i = 1; i <= k; i++) w[i] = waits[m, i]; asort(w)
      printf "%-26s %10.2f %12.2f %9d  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", m, mran[m] / 1000, mwaited[m] / 1000, k,
        w[int(k * 0.5) + 1], w[int(k * 0.9) + 1], w[int(k * 0.99) + 1], w[k] | "sort"
      delete w
    }
  }' "$groups" -
