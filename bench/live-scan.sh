#!/usr/bin/env bash
# Figure 2b: `kubectl-imgdup node --local` on a lab node whose real daemons
# hold generated images, against the sequence a person runs instead there:
# `docker images` + `ctr -n k8s.io images ls` (k3s's containerd) + `du -sx`
# of both stores, each timed with `hyperfine -N` inside the node, summed.
#
# The images are FROM-scratch archives from bench/gen-images.py (no
# registry): N go into dockerd with `docker load`, the first 30 % of them
# also into k3s's containerd with `ctr images import` (true duplicates).
#
# Usage: bench/live-scan.sh [--quick]   (Markdown on stdout, progress on stderr)
#   --quick  50 images, 3 runs
# Env: IMAGES (default 1000). The lab instance dood.bench is started and
#      taken down by this script.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need hyperfine hyperfine
need jq jq
need /usr/bin/time time

if [[ $QUICK == 1 ]]; then N=${IMAGES:-50}; else N=${IMAGES:-1000}; fi
DUPS=$((N * 3 / 10))
SCN=dood.bench
LAB=("$REPO/testkit/lab/lab")
export IMGDUP_STANDIN_DIR=$REL
cleanup() { "${LAB[@]}" down "$SCN" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
in_node() { "${LAB[@]}" exec "$SCN" -- "$@"; }

for n in "$N" "$DUPS"; do
  [[ -s $WORK/oci-$n.tar ]] && continue # same N, same bytes: made once
  python3 "$REPO/bench/gen-images.py" "$n" "$WORK/oci-$n.tar.part" >&2
  mv "$WORK/oci-$n.tar.part" "$WORK/oci-$n.tar"
done
log "lab up $SCN"
"${LAB[@]}" up "$SCN" >&2
K3S=/run/k3s/containerd/containerd.sock
# The ctr of the generation serving k3s's containerd (ctr 2.x cannot import into 1.6).
CTR=$(sed -n 's/^CTR_K3S_CONTAINERD=//p' "${IMGDUP_LAB_DIR:-/tmp/imgdup-lab}/$SCN/state.env")
start=$(date +%s.%N)
in_node docker load -q -i "$WORK/oci-$N.tar" >/dev/null
mid=$(date +%s.%N)
in_node "$CTR" -a "$K3S" -n k8s.io images import "$WORK/oci-$DUPS.tar" >/dev/null
end=$(date +%s.%N)
load_s=$(awk -v a="$start" -v b="$mid" 'BEGIN {print b - a}')
import_s=$(awk -v a="$mid" -v b="$end" 'BEGIN {print b - a}')
log "docker load $N: $(fmt_s "$load_s"); ctr import $DUPS: $(fmt_s "$import_s")"

IMGDUP=$REL/kubectl-imgdup
json=$WORK/live-scan.json
r=$(runs 10 3)
log "timing inside $SCN ($r runs each)"
in_node hyperfine -N --style basic --warmup 1 --runs "$r" --export-json "$json" \
  -n imgdup "$IMGDUP node --local -o json" \
  -n "docker images" "docker images" \
  -n "ctr images ls" "$CTR -a $K3S -n k8s.io images ls" \
  -n "du -sx" "du -sx /var/lib/docker /var/lib/rancher/k3s/agent/containerd" >&2
report=$(in_node "$IMGDUP" node --local -o json)
dups=$(jq '[.images[] | select(.verdict == "duplicate")] | length' <<<"$report")
rss=$(in_node /usr/bin/time -v "$IMGDUP" node --local -o json 2>&1 >/dev/null |
  awk -F': ' '/Maximum resident set size/ {print $2}')
ours=$(median "$json" imgdup)
peer=$(median "$json" "docker images+ctr images ls+du -sx")

okl=$(( $(lt "$ours" "$peer") & $(lt "$rss" $((150 * 1024))) ))
summary "| 2b. node scan, live: $N images (dockerd) + $DUPS (k3s containerd) vs \`docker images\` + \`ctr images ls\` + \`du -sx\` | $(triple "$json" imgdup), $(mib "$rss") | $(triple "$json" "docker images+ctr images ls+du -sx") | $(ratio "$ours" "$peer") | < 1×, < 150 MB | $(verdict "$okl") |"
cat <<EOF
## 2b. Node scan, live daemons (lab node \`$SCN\`: dockerd + k3s containerd)

Rerun: \`bench/live-scan.sh\` (hyperfine -N --warmup 1 --runs $r inside the node via \`testkit/lab/lab exec $SCN --\`).
$N generated FROM-scratch images (1–5 layers, shared bases) loaded into dockerd in $(fmt_s "$load_s") (\`docker load\`), the first $DUPS also imported into k3s's containerd in $(fmt_s "$import_s") (\`ctr images import\`).

| command | min / median / max |
|---|---|
| \`kubectl-imgdup node --local -o json\` | $(triple "$json" imgdup) |
| peer sequence, summed | $(triple "$json" "docker images+ctr images ls+du -sx") |
| \`docker images\` | $(triple "$json" "docker images") |
| \`ctr -n k8s.io images ls\` | $(triple "$json" "ctr images ls") |
| \`du -sx\` of both stores | $(triple "$json" "du -sx") |

- **Ratio** imgdup / peer sequence, medians: **$(ratio "$ours" "$peer")** (target: faster than the peers, i.e. < 1: $(verdict "$(lt "$ours" "$peer")")).
- imgdup peak RSS $(mib "$rss") (target < 150 MB: $(verdict "$(lt "$rss" $((150 * 1024)))")); duplicates found: $dups of the $DUPS imported twice (verdict: $(jq -r .verdict <<<"$report")).
EOF
