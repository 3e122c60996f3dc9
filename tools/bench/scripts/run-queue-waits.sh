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
[[ $# -ge 3 ]] || { echo "usage: run-queue-waits.sh AFTER SECONDS COMMAND..." >&2; exit 2; }
command -v perf >/dev/null || { echo "run-queue-waits: perf is not installed (Debian: apt install linux-perf)" >&2; exit 1; }
after=$1; seconds=$2; shift 2
data=$(mktemp); groups=$(mktemp); perf_log=$(mktemp)
cleanup() {
  [[ -n ${target:-} ]] && kill "$target" 2>/dev/null || true
  rm -f "$data" "$groups" "$perf_log"
}
trap cleanup EXIT

"$@" &
target=$!
sleep "$after"
perf sched record -a -q -o "$data" -- sleep "$seconds" >"$perf_log" 2>&1 || { cat "$perf_log" >&2; exit 1; }
# The group of every process alive when the recording ends, the command's included.
for dir in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline" | cut -c1-300) || continue
  process_group "$cmd"
  echo "${dir#/proc/} $group"
done >"$groups"
status=0; wait "$target" || status=$?
target=
[[ $status == 0 ]] || echo "run-queue-waits: the command exited with $status" >&2

# timehist: time, cpu, "name[tid/pid]" (or "name[pid]" for a main thread; the name may hold
# spaces), then wait time, sch delay, run time (ms) and the state at switch-out. perf before 6.11
# leaves a preempted thread's wait in "wait time"; later versions count it in "sch delay" too.
perf sched timehist -i "$data" --state 2>/dev/null | gawk '
  NR == FNR { group[$1] = $2; next }
  FNR > 3 {
    line = substr($0, index($0, "]") + 1) # past the cpu column, "[0001]"
    if (!match(line, /\[[0-9]+(\/[0-9]+)?\] /)) next
    n = split(substr(line, RSTART + 1, RLENGTH - 3), id, "/"); tid = id[1]; pid = n == 2 ? id[2] : id[1]
    split(substr(line, RSTART + RLENGTH), f, " ")
    g = pid in group ? group[pid] : "other"
    wait = preempted[tid] ? f[1] : f[2]
    preempted[tid] = f[4] == "R"
    ran[g] += f[3]; waited[g] += wait
    if (tid == pid && g != "other" && g != "postgresql" && g != "rabbitmq") { # a Node process: its event loop
      m = g " main thread"; count[m]++; waits[m, count[m]] = wait; mran[m] += f[3]; mwaited[m] += wait
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
