# Helpers shared by the bench/ scripts (sourced, not run).
#
# Every figure is one hyperfine run (or one measured run of a long command)
# whose min/median/max go into a Markdown row; our command and its peer run
# in the same session, and the ratio of medians is the number that counts.
# shellcheck shell=bash disable=SC2034 # REPO, REL... are for the scripts that source this

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${IMGDUP_BENCH_DIR:-/tmp/imgdup-bench}
# Release builds live apart from the shared debug target (bench/run builds
# them); CI's smoke run points these at its debug build instead.
TARGET=${IMGDUP_BENCH_TARGET:-/work/target-bench}
PROFILE=${IMGDUP_BENCH_PROFILE:-release}
REL=$TARGET/$PROFILE
QUICK=${QUICK:-0}
mkdir -p "$WORK"

# figure_args "$@": a figure script's arguments. `--quick` sets QUICK=1;
# `-h`/`--help` prints the script's leading comment block.
figure_args() {
  case "${1:-}" in
    --quick) QUICK=1 ;;
    "") ;;
    -h | --help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
  esac
  export QUICK
}

log() { printf '%s %s: %s\n' "$(date +%H:%M:%S)" "$(basename "$0")" "$*" >&2; }
die() { log "$*"; exit 1; }

# need BIN PACKAGE: install a Debian package when BIN is missing (we are root).
need() {
  local bin=$1 pkg=$2
  command -v "$bin" >/dev/null && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing $pkg"
    apt-get install -y -qq "$pkg" >&2 || { apt-get update -qq >&2 && apt-get install -y -qq "$pkg" >&2; }
  fi
  command -v "$bin" >/dev/null || die "$bin is missing: apt-get install -y $pkg"
}

# The statistics of hyperfine's JSON export, per command name (-n NAME).
# stat JSON NAME FIELD (mean, median, min, max, stddev) in seconds.
stat() { jq -r --arg c "$2" --arg f "$3" '.results[] | select(.command == $c) | .[$f]' "$1"; }

# Seconds (or a sum of seconds) as ms or s.
fmt_s() { awk -v s="$1" 'BEGIN {if (s < 1) printf "%.1f ms", s * 1000; else printf "%.2f s", s}'; }

# min / median / max of NAME in JSON (or of the sum of several NAMEs:
# "a+b" sums each statistic, i.e. the peers run one after another).
triple() {
  local json=$1 f out=() v n parts
  IFS=+ read -ra parts <<<"$2"
  for f in min median max; do
    v=0
    for n in "${parts[@]}"; do v=$(awk -v a="$v" -v b="$(stat "$json" "$n" "$f")" 'BEGIN {print a + b}'); done
    out+=("$(fmt_s "$v")")
  done
  echo "${out[0]} / ${out[1]} / ${out[2]}"
}

# Median of NAME (or "a+b") in seconds.
median() {
  local json=$1 v=0 n parts
  IFS=+ read -ra parts <<<"$2"
  for n in "${parts[@]}"; do v=$(awk -v a="$v" -v b="$(stat "$json" "$n" median)" 'BEGIN {print a + b}'); done
  echo "$v"
}

# ratio A B: A / B to two decimals, with a ×.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f×", a / b; else print "n/a"}'; }

# verdict OK: "met" or "**missed**".
verdict() { if [[ $1 == 1 ]]; then echo met; else echo "**missed**"; fi; }

# lt A B: 1 when A < B (floats).
lt() { awk -v a="$1" -v b="$2" 'BEGIN {print (a < b) ? 1 : 0}'; }

# Peak RSS in KiB of one run of "$@" (GNU time), output discarded.
peak_rss() {
  local err
  err=$(/usr/bin/time -v "$@" 2>&1 >/dev/null) || { log "failed: $* ($(tail -3 <<<"$err"))"; return 1; }
  awk -F': ' '/Maximum resident set size/ {print $2}' <<<"$err"
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }

# hf JSON ARGS...: hyperfine with its table on stderr and an export in JSON.
hf() {
  local json=$1
  shift
  hyperfine --style basic --export-json "$json" "$@" >&2
}

# summary ROW: one line of BENCHMARKS.md's headline table (bench/run sets
# SUMMARY to the file that collects them).
summary() { [[ -z ${SUMMARY:-} ]] || echo "$1" >>"$SUMMARY"; }

# Runs per hyperfine figure: few in --quick (a smoke test), more otherwise.
runs() { if [[ $QUICK == 1 ]]; then echo "${2:-3}"; else echo "$1"; fi; }
