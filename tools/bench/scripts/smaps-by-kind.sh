#!/usr/bin/env bash
# A process's private memory by kind of mapping, from /proc/PID/smaps: the C library's main heap
# ([heap]), its thread arenas (a read-write mapping followed by an inaccessible one, 64 MB in all),
# other anonymous memory (V8's heap pages and large allocations), files, stacks.
#
#   tools/bench/scripts/smaps-by-kind.sh $(pgrep -f services/order/dist)
set -euo pipefail
gawk '
/^[0-9a-f]+-[0-9a-f]+ / {
  split($1, range, "-"); size = (strtonum("0x" range[2]) - strtonum("0x" range[1])) / 1024; name = $6
  # An arena: the inaccessible rest of a 64 MB reservation right after the part in use.
  if ($2 == "---p" && name == "" && kind == "anon" && size + last_size == 65536) { private["thread arenas"] += last_private; private["anon"] -= last_private }
  if (name == "[heap]") kind = "[heap]"; else if (name == "[stack]") kind = "stacks"; else if (name ~ /^\//) kind = "files"
  else if (name == "") kind = ($2 == "---p" ? "none" : "anon"); else kind = name
  last_size = size; last_private = 0; next
}
/^Private_(Clean|Dirty):/ { private[kind] += $2; last_private += $2 }
END { for (k in private) if (private[k] > 0) printf "%7.1f MB  %s\n", private[k] / 1024, (k == "anon" ? "other anonymous" : k) }
' "/proc/$1/smaps" | sort -rn
