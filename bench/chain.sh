#!/usr/bin/env bash
# Figure 1: chain resolution. `crictl-which` inside a lab node against the two
# lookups it replaces there, `ctr version` and `docker info` (their times
# summed), all with `hyperfine -N` inside the node. The breakdown comes from
# switching parts off: `--offline` makes no API call, and `--offline --proc
# EMPTY` scans no process either; `--version` is the process start-up.
#
# Usage: bench/chain.sh [--quick]   (Markdown on stdout, progress on stderr)
# Env: SCENARIO (default k3s-docker: three hops, the slowest chain); the lab
#      instance SCENARIO.bench is started and taken down by this script.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need hyperfine hyperfine
need jq jq

BASE=${SCENARIO:-k3s-docker}
SCN=$BASE.bench
LAB=("$REPO/testkit/lab/lab")
export IMGDUP_STANDIN_DIR=$REL
cleanup() { "${LAB[@]}" down "$SCN" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

log "lab up $SCN"
"${LAB[@]}" up "$SCN" >&2
# The ctr of the node's containerd generation.
CTR=$(sed -n 's/^CTR_CONTAINERD=//p' "${IMGDUP_LAB_DIR:-/tmp/imgdup-lab}/$SCN/state.env")
EMPTY=$WORK/empty-proc
mkdir -p "$EMPTY"
CW=$REL/crictl-which
json=$WORK/chain.json
runs=$(runs 40 5)
log "timing inside $SCN ($runs runs each)"
"${LAB[@]}" exec "$SCN" -- hyperfine -N --style basic --warmup 3 --runs "$runs" \
  --export-json "$json" \
  -n crictl-which "$CW" \
  -n offline "$CW --offline" \
  -n offline-noproc "$CW --offline --proc $EMPTY" \
  -n start-up "$CW --version" \
  -n "ctr version" "$CTR version" \
  -n "docker info" "docker info" >&2
chain=$("${LAB[@]}" exec "$SCN" -- "$CW" -o json | jq -r '[.hops[].kind] | join(" → ")')

ours=$(median "$json" crictl-which)
peer=$(median "$json" "ctr version+docker info")
ok1=$(awk -v a="$ours" -v b="$peer" 'BEGIN {print (a <= 1.5 * b) ? 1 : 0}')
ok2=$(lt "$ours" 0.020)
part() { awk -v a="$(median "$json" "$1")" -v b="$(median "$json" "$2")" 'BEGIN {d = a - b; if (d < 0) d = 0; printf "%.1f ms", d * 1000}'; }

summary "| 1. chain resolution: \`crictl-which\` in \`$SCN\` vs \`ctr version\` + \`docker info\` | $(triple "$json" crictl-which) | $(triple "$json" "ctr version+docker info") | $(ratio "$ours" "$peer") | ≤ 1.5×, < 20 ms | ratio $(verdict "$ok1"), < 20 ms $(verdict "$ok2") |"
cat <<EOF
## 1. Chain resolution (lab node \`$SCN\`: $chain)

Rerun: \`bench/chain.sh\` (hyperfine -N --warmup 3 --runs $runs, inside the node via \`testkit/lab/lab exec $SCN --\`).

| command | min / median / max |
|---|---|
| \`crictl-which\` | $(triple "$json" crictl-which) |
| peer: \`ctr version\` + \`docker info\` (summed) | $(triple "$json" "ctr version+docker info") |
| \`ctr version\` | $(triple "$json" "ctr version") |
| \`docker info\` | $(triple "$json" "docker info") |
| \`crictl-which --offline\` (no API call) | $(triple "$json" offline) |
| \`crictl-which --offline --proc EMPTY\` (no API call, no process scan) | $(triple "$json" offline-noproc) |
| \`crictl-which --version\` (start-up only) | $(triple "$json" start-up) |

- **Ratio** crictl-which / (ctr version + docker info), medians: **$(ratio "$ours" "$peer")** (target ≤ 1.5×: $(verdict "$ok1")); absolute median $(fmt_s "$ours") (target < 20 ms: $(verdict "$ok2")).
- **Where the time goes** (differences of medians): API calls $(part crictl-which offline), process scan $(part offline offline-noproc), config and file reads $(part offline-noproc start-up), process start-up $(fmt_s "$(median "$json" start-up)").
EOF
