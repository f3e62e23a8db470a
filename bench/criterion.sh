#!/usr/bin/env bash
# In-process hot paths (criterion, shared/benches/inventory.rs): reading a
# generated Docker imagedb/layerdb store and containerd content store, and
# the verdict math over both inventories. Nothing to compare against: these
# are the parts of figure 2's `node --local`, to see which one to fix.
#
# Usage: bench/criterion.sh [--quick]   (Markdown on stdout, progress on stderr)
#   --quick  200 images and criterion's --quick (release), or with
#            IMGDUP_BENCH_PROFILE=debug one untimed pass (`cargo test`)
# Env: IMGDUP_BENCH_IMAGES (default 2000).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need jq jq

if [[ $QUICK == 1 ]]; then n=${IMGDUP_BENCH_IMAGES:-200}; else n=${IMGDUP_BENCH_IMAGES:-2000}; fi
export IMGDUP_BENCH_IMAGES=$n CARGO_TARGET_DIR=$TARGET
cd "$REPO"
if [[ $PROFILE == debug ]]; then
  log "one untimed pass of the inventory bench ($n images)"
  cargo test -q --workspace --bench inventory >&2
  echo "## In-process hot paths (criterion)"
  echo
  echo "Smoke run only (debug build, each bench once): no figures."
  exit 0
fi
extra=()
[[ $QUICK == 1 ]] && extra=(--quick)
log "criterion: inventory bench ($n images)"
cargo bench -q --workspace --bench inventory -- "${extra[@]}" >&2

# min / median / max per iteration from criterion's samples (ns).
sample() {
  jq -r '[.times, .iters] | transpose | map(.[0] / .[1] / 1e9) | sort
    | "\(.[0]) \(.[(length - 1) / 2 | floor]) \(.[-1])"' "$1"
}
ROWS=()
for f in read_docker_root read_containerd_blobs judge; do
  s=$TARGET/criterion/${n}_images/$f/new/sample.json
  [[ -f $s ]] || die "no criterion samples at $s"
  read -r lo mid hi <<<"$(sample "$s")"
  ROWS+=("| \`$f\` | $(fmt_s "$lo") / $(fmt_s "$mid") / $(fmt_s "$hi") |")
  summary "| in-process: \`$f\` on $n Docker images (criterion) | $(fmt_s "$lo") / $(fmt_s "$mid") / $(fmt_s "$hi") | – | – | (part of 2a) | – |"
done

cat <<EOF
## In-process hot paths (criterion)

Rerun: \`IMGDUP_BENCH_IMAGES=$n cargo bench --workspace --bench inventory\` (shared/benches/inventory.rs; a generated root with $n Docker images, 30 % also in containerd; per-iteration min / median / max over criterion's samples).

| function | min / median / max |
|---|---|
$(printf '%s\n' "${ROWS[@]}")
EOF
