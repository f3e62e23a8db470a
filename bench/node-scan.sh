#!/usr/bin/env bash
# Benchmark of `kubectl-imgdup node --local` on synthetic node roots.
#
# Generates roots with imgdup-gen-store (an offline Docker store and an
# offline k3s containerd store sharing a share of their images) and times the
# scan against what a person runs on such a node today. A generated root has
# no daemons, so `docker images` / `crictl images` cannot answer; the peer is
# `du -sx` over the two store directories, the "how big is it" half of the
# manual check (and a floor: it only stats, it proves nothing).
#
# Usage: bench/node-scan.sh [--quick]
#   --quick  one small root (200 images), 2 runs: a CI smoke test
# Env: IMGDUP_BENCH_DIR (default /tmp/imgdup-bench), RUNS (runs per command),
#      FRESH=1 (regenerate the roots even when this generator made them).
# Progress goes to stderr; the Markdown results table goes to stdout.
set -euo pipefail

QUICK=0
case "${1:-}" in
  --quick) QUICK=1 ;;
  "") ;;
  -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${IMGDUP_BENCH_DIR:-/tmp/imgdup-bench}
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
if [[ $QUICK == 1 ]]; then SIZES=(200); else SIZES=(500 10000); fi

log() { echo "node-scan: $*" >&2; }

# Tools: install when we can (root with apt), else say what is missing.
need() {
  local bin=$1 pkg=$2
  [[ -x $bin ]] && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing $pkg"
    apt-get install -y -qq "$pkg" >&2 || { apt-get update -qq >&2 && apt-get install -y -qq "$pkg" >&2; }
  fi
  [[ -x $bin ]] || { log "$bin is missing: apt-get install -y $pkg"; exit 1; }
}
need /usr/bin/hyperfine hyperfine
need /usr/bin/time time
command -v jq >/dev/null || need /usr/bin/jq jq

log "building release binaries"
(cd "$REPO" && cargo build --release -q -p kubectl-imgdup -p testkit \
  --bin kubectl-imgdup --bin imgdup-gen-store) >&2
IMGDUP=$TARGET/release/kubectl-imgdup
GEN=$TARGET/release/imgdup-gen-store

# Peak RSS in KiB of one run of "$@" (GNU time), output discarded.
peak_rss() {
  local err
  err=$(/usr/bin/time -v "$@" 2>&1 >/dev/null) || { log "failed: $* ($err)"; exit 1; }
  awk -F': ' '/Maximum resident set size/ {print $2}' <<<"$err"
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
secs() { awk -v s="$1" 'BEGIN {if (s < 1) printf "%.0f ms", s * 1000; else printf "%.2f s", s}'; }

# A statistic of one named command in the current hyperfine export ($json).
field() { jq -r --arg c "$1" --arg f "$2" '.results[] | select(.command == $c) | .[$f]' "$json"; }
range() { echo "$(secs "$(field "$1" mean)") ($(secs "$(field "$1" min)")–$(secs "$(field "$1" max)"))"; }

mkdir -p "$WORK"
ROWS=()
for n in "${SIZES[@]}"; do
  dir=$WORK/n$n
  # Reuse a root made by this very generator: ext4 creates files slowly right
  # after a mass delete (its inode allocator skips recently freed inodes).
  stamp="$(sha256sum <"$GEN" | cut -c1-16) --images $n --seed 1"
  if [[ -d $dir && -f $dir.summary && "$(head -1 "$dir.summary")" == "$stamp" && -z ${FRESH:-} ]]; then
    summary=$(tail -1 "$dir.summary")
    log "reusing $dir (FRESH=1 regenerates)"
  else
    rm -rf "$dir" "$dir.summary"
    summary=$("$GEN" --out "$dir" --images "$n" --seed 1)
    printf '%s\n%s\n' "$stamp" "$summary" >"$dir.summary"
  fi
  log "$summary"
  if [[ $QUICK == 1 ]]; then runs=2; elif ((n >= 5000)); then runs=3; else runs=5; fi
  runs=${RUNS:-$runs}
  stores=("$dir/var/lib/docker" "$dir/var/lib/rancher/k3s/agent/containerd")
  scan=("$IMGDUP" node --local --host-root "$dir" --proc "$dir/proc" -o json)
  peer=(du -sx "${stores[@]}")
  json=$WORK/n$n.hyperfine.json
  log "timing $n images ($runs runs each, 1 warmup: both read a warm page cache)"
  hyperfine --warmup 1 --runs "$runs" --export-json "$json" \
    -n imgdup "${scan[*]}" -n du "${peer[*]}" >&2
  ratio=$(awk -v a="$(field imgdup mean)" -v b="$(field du mean)" 'BEGIN {printf "%.1f×", a / b}')
  found=$("${scan[@]}" | jq '[.images[] | select(.verdict == "duplicate")] | length')
  made=$(sed -n 's/.*duplicates: \([0-9]*\);.*/\1/p' <<<"$summary")
  ctr=$(sed -n 's/.*containerd: \([0-9]*\) images.*/\1/p' <<<"$summary")
  files=$(sed -n 's/.*; \([0-9]*\) files.*/\1/p' <<<"$summary")
  ROWS+=("| $n + $ctr | $files | $(range imgdup) | $(range du) | $ratio | $(mib "$(peak_rss "${scan[@]}")") | $(mib "$(peak_rss "${peer[@]}")") | $found / $made |")
done

echo
echo "### kubectl-imgdup node --local vs du -sx ($(nproc) CPUs, $(uname -r))"
echo
echo "No daemons run on a generated root, so \`docker images\`/\`crictl images\` cannot answer there;"
echo "the peer is \`du -sx\` of the two stores (what a person runs to size them)."
echo
echo "| images (docker + containerd) | files | imgdup mean (min–max) | du -sx mean (min–max) | imgdup/du | imgdup peak RSS | du peak RSS | duplicates found / made |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
