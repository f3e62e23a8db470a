#!/usr/bin/env bash
# Figure 3: the store-bytes walker (imgdup::du::DiskUsage, through the tiny
# du_walk bench binary) against `du -sxB1` on the same tree of files with
# hard links and symlinks, warm page cache. Both must print the same bytes.
#
# Usage: bench/du-walk.sh [--quick]   (Markdown on stdout, progress on stderr)
#   --quick  a tree of 20k files (else 1M), 3 runs
# The tree is cached at $IMGDUP_BENCH_DIR/tree-N and made once (a 1M tree
# takes minutes to write).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need hyperfine hyperfine
need jq jq
need /usr/bin/time time

if [[ $QUICK == 1 ]]; then N=20000; else N=1000000; fi
tree=$WORK/tree-$N
if [[ ! -f $tree/.done ]]; then
  rm -rf "$tree"
  log "writing $tree (once; cached)"
  python3 "$REPO/bench/gen-tree.py" "$N" "$tree" >&2
fi
# `cargo bench` builds it with the bench (release) profile, `cargo test` with the debug one.
verb=bench
[[ $PROFILE == debug ]] && verb="test"
walk=$(cd "$REPO" && CARGO_TARGET_DIR=$TARGET cargo "$verb" -q --workspace --bench du_walk \
  --no-run --message-format=json 2>/dev/null |
  jq -r 'select(.reason == "compiler-artifact" and .target.name == "du_walk") | .executable')
[[ -x $walk ]] || die "cannot build the du_walk bench"

ours_bytes=$("$walk" "$tree")
du_bytes=$(du -sxB1 "$tree" | cut -f1)
files=$(find "$tree" -xdev | wc -l)
json=$WORK/du-walk.json
r=$(runs 10 3)
log "timing $files entries ($r runs each)"
hf "$json" -N --warmup 1 --runs "$r" -n imgdup "$walk $tree" -n "du -sx" "du -sxB1 $tree"
# CPUs used = CPU time / wall time of one more run each: the walker can only
# beat du by the CPUs it finds free (other work on the machine takes some).
cpus() { /usr/bin/time -f '%e %U %S' "$@" 2>&1 >/dev/null | awk '{printf "%.2f", ($2 + $3) / $1}'; }
cpus_ours=$(cpus "$walk" "$tree")
cpus_du=$(cpus du -sxB1 "$tree")
ours=$(median "$json" imgdup)
peer=$(median "$json" "du -sx")
same=$([[ $ours_bytes == "$du_bytes" ]] && echo 1 || echo 0)
fast=$(awk -v a="$ours" -v b="$peer" 'BEGIN {print (2 * a <= b) ? 1 : 0}')

summary "| 3. disk usage walk: $files entries vs \`du -sxB1\` | $(triple "$json" imgdup) | $(triple "$json" "du -sx") | $(ratio "$ours" "$peer") (du is $(ratio "$peer" "$ours") slower) | ≤ 0.5× (2× faster), same bytes | $(verdict "$((fast & same))") |"
cat <<EOF
## 3. Disk usage walk ($files entries, 1 in 10 a hard link, $(nproc) CPUs)

Rerun: \`bench/du-walk.sh\` (hyperfine -N --warmup 1 --runs $r; tree cached at \`$tree\`).

| command | min / median / max | bytes |
|---|---|---|
| imgdup \`DiskUsage\` (\`shared/benches/du_walk.rs\`) | $(triple "$json" imgdup) | $ours_bytes |
| peer: \`du -sxB1\` | $(triple "$json" "du -sx") | $du_bytes |

- **Speed-up** du / imgdup, medians: **$(ratio "$peer" "$ours")** (target ≥ 2×: $(verdict "$fast")); same bytes: $(verdict "$same").
- CPUs busy during one more run (CPU time / wall time): imgdup $cpus_ours, du $cpus_du, of $(nproc); load at the end $(uptime | sed 's/.*load average: //').
EOF
