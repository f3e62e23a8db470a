#!/usr/bin/env bash
# Figure 8: what `kubectl imgdup serve` costs its node. serve runs as it does
# in the DaemonSet (nice 19, idle I/O class, one scan thread) with a short
# --interval, so a few scans come back to back; from its /proc entry we read
# the CPU seconds it used (user + system, idle time between scans included,
# so an upper bound) and its peak RSS (VmHWM). The average share of one core
# at the default 10 m interval is CPU seconds per scan / 600 s.
#   - the lab: the `runtime-switch` node (real k3s containerd, a stopped Docker store)
#   - a generated offline root of 10,000 Docker + 4,000 containerd images
#     (imgdup-gen-store, the root of figure 2a)
#
# Usage: bench/serve-cost.sh [--quick]   (Markdown on stdout, progress on stderr)
#   --quick  a 200-image root and 2 scans each: a smoke test
# Env: SCANS (default 5), IMGDUP_GEN_STORE (the generator, default the bench build's).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need jq jq

IMGDUP=$REL/kubectl-imgdup
GEN=${IMGDUP_GEN_STORE:-$REL/imgdup-gen-store}
LAB=("$REPO/testkit/lab/lab")
if [[ $QUICK == 1 ]]; then N=200; SCANS=${SCANS:-2}; else N=10000; SCANS=${SCANS:-5}; fi
INTERVAL=2s
PORT=19849
# As deploy/daemonset.yaml sets it (glibc gives back what a scan freed).
export GLIBC_TUNABLES=${GLIBC_TUNABLES-glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=131072}

# The serve process listening on $PORT (not the lab's nsenter in front of it).
serve_pid() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) == "$IMGDUP" ]] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "--listen 127.0.0.1:$PORT " && { echo "${p#/proc/}"; return 0; }
  done
  return 1
}

# cpu_seconds PID: utime + stime.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

# measure NAME GET-COMMAND... : waits for $SCANS scans of the serve on $PORT,
# then prints "scans cpu_seconds peak_kib rss_kib threads" (rss: held between scans).
measure() {
  local get=("$@") pid="" count=0 deadline=$((SECONDS + 600))
  while ((SECONDS < deadline)); do
    pid=$(serve_pid) && break
    sleep 0.2
  done
  [[ -n $pid ]] || die "serve did not start"
  while ((SECONDS < deadline)); do
    count=$("${get[@]}" /metrics 2>/dev/null | awk '$1 == "imgdup_scan_duration_seconds_count" {print $2}')
    ((${count:-0} >= SCANS)) && break
    sleep 0.2
  done
  ((${count:-0} >= SCANS)) || die "only ${count:-0} scans in 600 s"
  local cpu peak rss threads
  cpu=$(cpu_seconds "$pid")
  peak=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  threads=$(ls "/proc/$pid/task" | wc -l)
  kill -TERM "$pid"
  echo "$count $cpu $peak $rss $threads"
}

# GET PATH from the host (serve on the generated root).
get_host() { curl -s -m 5 "http://127.0.0.1:$PORT$1"; }
# GET PATH inside the lab node (its own network namespace).
get_lab() { "${LAB[@]}" exec runtime-switch -- curl -s -m 5 "http://127.0.0.1:$PORT$1"; }

ROWS=()
row() { # WHERE "scans cpu rss threads"
  local where=$1 scans cpu peak rss threads per share
  read -r scans cpu peak rss threads <<<"$2"
  per=$(awk -v c="$cpu" -v n="$scans" 'BEGIN {print c / n}')
  share=$(awk -v p="$per" 'BEGIN {printf "%.3f %%", p / 600 * 100}')
  ok=$(lt "$(awk -v p="$per" 'BEGIN {print p / 600}')" 0.01)
  ROWS+=("| $where | $scans | $(fmt_s "$cpu") | $(fmt_s "$per") | $(mib "$peak") | $(mib "$rss") | $threads | $share | $(verdict "$ok") |")
  summary "| 8. \`serve\` cost: $where, CPU per scan and peak RSS | $(fmt_s "$per") CPU per scan, $(mib "$peak") peak | – | – | < 1 % of a core at a 10 m interval | $share: $(verdict "$ok") |"
}

log "lab up runtime-switch"
"${LAB[@]}" up runtime-switch >/dev/null
"${LAB[@]}" exec runtime-switch -- "$IMGDUP" serve --listen "127.0.0.1:$PORT" --interval "$INTERVAL" \
  --node-name runtime-switch 2>"$WORK/serve-lab.log" &
row "lab node \`runtime-switch\`" "$(measure get_lab)"
wait || true

dir=$WORK/n$N
stamp="$(sha256sum <"$GEN" | cut -c1-16) --images $N --seed 1"
if [[ ! -d $dir || ! -f $dir.summary || "$(head -1 "$dir.summary")" != "$stamp" ]]; then
  rm -rf "$dir" "$dir.summary"
  log "generating $N images in $dir"
  summary=$("$GEN" --out "$dir" --images "$N" --seed 1)
  printf '%s\n%s\n' "$stamp" "$summary" >"$dir.summary"
fi
ctr=$(tail -1 "$dir.summary" | sed -n 's/.*containerd: \([0-9]*\) images.*/\1/p')
log "serve on $dir ($SCANS scans)"
"$IMGDUP" serve --listen "127.0.0.1:$PORT" --interval "$INTERVAL" --host-root "$dir" --proc "$dir/proc" \
  --node-name gen 2>"$WORK/serve-gen.log" &
row "generated root, $N + $ctr offline images" "$(measure get_host)"
wait || true
applied=$(sed -n 's/.*scanning every [^;]*; //p' "$WORK/serve-gen.log" | head -1)

cat <<EOF
## 8. \`serve\`: what watching a node costs it

Rerun: \`bench/serve-cost.sh\`. serve runs as in the DaemonSet ($applied, \`GLIBC_TUNABLES=$GLIBC_TUNABLES\`) with \`--interval $INTERVAL\` until $SCANS scans are done; CPU is user + system from \`/proc/PID/stat\` over its whole life (start-up and the idle time between scans included, so an upper bound), peak RSS is \`VmHWM\`, RSS at the end (\`VmRSS\`) what it holds between scans (the last report's JSON among it). The share is CPU per scan / 600 s, the default 10 m interval (target: < 1 % of one core averaged over an hour).

| where | scans | CPU, all scans | CPU per scan | peak RSS | RSS at the end | threads at the end | share of one core at 10 m | target |
|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")
EOF
