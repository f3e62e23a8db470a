#!/usr/bin/env bash
# Figure 2a: `kubectl-imgdup node --local` on a generated offline node root
# (imgdup-gen-store: a Docker imagedb/layerdb store and a k3s containerd
# content store sharing a share of their images). A generated root has no
# daemons, so `docker images` / `ctr images ls` cannot answer there; the peer
# is `du -sx` of the two stores, the "how big is it" half of the manual check
# (and a floor: it only stats, it proves nothing). bench/live-scan.sh has
# the full peer sequence against real daemons.
#
# Usage: bench/node-scan.sh [--quick]   (Markdown on stdout, progress on stderr)
#   --quick  one root of 200 images, 3 runs: a smoke test
# Env: RUNS, FRESH=1 (regenerate roots even when this generator made them).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need hyperfine hyperfine
need jq jq
need /usr/bin/time time

IMGDUP=$REL/kubectl-imgdup
GEN=$REL/imgdup-gen-store
if [[ $QUICK == 1 ]]; then SIZES=(200); else SIZES=(1000 10000); fi

ROWS=()
for n in "${SIZES[@]}"; do
  dir=$WORK/n$n
  # Reuse a root made by this very generator: ext4 creates files slowly right
  # after a mass delete (its inode allocator skips recently freed inodes).
  stamp="$(sha256sum <"$GEN" | cut -c1-16) --images $n --seed 1"
  if [[ -d $dir && -f $dir.summary && "$(head -1 "$dir.summary")" == "$stamp" && -z ${FRESH:-} ]]; then
    log "reusing $dir (FRESH=1 regenerates)"
  else
    rm -rf "$dir" "$dir.summary"
    log "generating $n images in $dir"
    summary=$("$GEN" --out "$dir" --images "$n" --seed 1)
    printf '%s\n%s\n' "$stamp" "$summary" >"$dir.summary"
  fi
  summary=$(tail -1 "$dir.summary")
  log "$summary"
  if ((n >= 5000)); then r=$(runs 7); else r=$(runs 15); fi
  r=${RUNS:-$r}
  stores=("$dir/var/lib/docker" "$dir/var/lib/rancher/k3s/agent/containerd")
  scan=("$IMGDUP" node --local --host-root "$dir" --proc "$dir/proc" -o json)
  peer=(du -sx "${stores[@]}")
  json=$WORK/node-scan-$n.json
  log "timing $n images ($r runs each, 1 warmup: both read a warm page cache)"
  hf "$json" -N --warmup 1 --runs "$r" -n imgdup "${scan[*]}" -n du "${peer[*]}"
  ours=$(median "$json" imgdup)
  found=$("${scan[@]}" | jq '[.images[] | select(.verdict == "duplicate")] | length')
  made=$(sed -n 's/.*duplicates: \([0-9]*\);.*/\1/p' <<<"$summary")
  ctr=$(sed -n 's/.*containerd: \([0-9]*\) images.*/\1/p' <<<"$summary")
  files=$(sed -n 's/.*; \([0-9]*\) files.*/\1/p' <<<"$summary")
  rss=$(peak_rss "${scan[@]}")
  ok=$(awk -v t="$ours" -v r="$rss" 'BEGIN {print (t < 2 && r < 150 * 1024) ? 1 : 0}')
  result=$(verdict "$ok")
  ((n >= 10000)) || result="n/a (the target is for 10k)"
  summary "| 2a. node scan, offline: $n + $ctr images vs \`du -sx\` of both stores | $(triple "$json" imgdup), $(mib "$rss") | $(triple "$json" du) | $(ratio "$ours" "$(median "$json" du)") | < 2 s and < 150 MB at 10k | $result |"
  ROWS+=("| $n + $ctr | $files | $(triple "$json" imgdup) | $(triple "$json" du) | $(ratio "$ours" "$(median "$json" du)") | $(mib "$rss") / $(mib "$(peak_rss "${peer[@]}")") | $found / $made | $result |")
done

cat <<EOF
## 2a. Node scan at scale, offline stores (generated node roots)

Rerun: \`bench/node-scan.sh\` (hyperfine -N --warmup 1; roots cached under $WORK, \`FRESH=1\` regenerates).
The peer is \`du -sx\` of both stores: without daemons, \`docker images\` and \`ctr images ls\` cannot answer (see 2b for them).
Target: full verdict < 2 s for 10k images, peak RSS < 150 MB.

| images (Docker + containerd) | files | imgdup min / median / max | \`du -sx\` both stores min / median / max | imgdup / du | peak RSS imgdup / du | duplicates found / made | target |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")
EOF
