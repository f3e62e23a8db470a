#!/usr/bin/env bash
# Figure 4: fan-out. `kubectl imgdup` over N simulated nodes (the sim API
# server's fakeNodes; each node's agent "runs" T s) at several concurrencies:
# wall time against the ideal ceil(N/c)·T, API calls per node (the plugin's
# own apiCalls and the server's GET /debug/requests), peak RSS (GNU time) and
# the time to the first byte of progress on a terminal (stderr on a pty).
# The peer is the loop a person writes with real kubectl over M of the same
# nodes: kubectl debug node/X, kubectl wait for it, kubectl logs, kubectl
# delete pod; the ratio is per node.
#
# Usage: bench/fanout.sh [--quick]   (Markdown on stdout, progress on stderr)
#   --quick  N=40, c=10 and 20, one run each; M=3
# Env: NODES (1000), CONCURRENCY ("10 20 50"), RUNS (3), LOOP_NODES (20).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need jq jq
need curl curl
need /usr/bin/time time

if [[ $QUICK == 1 ]]; then
  N=${NODES:-40} R=${RUNS:-1} M=${LOOP_NODES:-3}
  read -ra CS <<<"${CONCURRENCY:-10 20}"
else
  N=${NODES:-1000} R=${RUNS:-3} M=${LOOP_NODES:-20}
  read -ra CS <<<"${CONCURRENCY:-10 20 50}"
fi
T=1
IMGDUP=$REL/kubectl-imgdup
DIR=$(mktemp -d "$WORK/fanout.XXXXXX")
SIM_PID=
cleanup() {
  [[ -n $SIM_PID ]] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

report='{"apiVersion":"imgdup/v1","kind":"NodeReport","node":"{node}","verdict":"ok","reason":null,"stores":[],"images":[],"reclaimableBytes":0,"pods":[],"findings":[],"kubeletEndpoint":null,"chain":null}'
# Fake nodes run no image: every agent pod (and the peer's busybox) "runs"
# for T s and logs $report.
cat >"$DIR/sim.yaml" <<EOF
listen: 127.0.0.1:0
kubeconfig: $DIR/kubeconfig
fakeNodes: {count: $N, prefix: node-, fake: {seconds: $T, output: '$report'}}
EOF
"$REL/imgdup-sim-apiserver" -c "$DIR/sim.yaml" >"$DIR/sim.out" 2>"$DIR/sim.err" &
SIM_PID=$!
for _ in $(seq 100); do grep -q '^kubeconfig ' "$DIR/sim.out" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$DIR/sim.out")
[[ -n $URL ]] || die "the sim server did not start: $(cat "$DIR/sim.err")"
export KUBECONFIG=$DIR/kubeconfig
log "sim server $URL with $N fake nodes"

ROWS=()
for c in "${CS[@]}"; do
  ideal=$(awk -v n="$N" -v c="$c" -v t="$T" 'BEGIN {print int((n + c - 1) / c) * t}')
  walls=() firsts=() rss=0 calls=
  for ((i = 1; i <= R; i++)); do
    curl -sf -X DELETE "$URL/debug/requests" >/dev/null
    log "c=$c run $i/$R (ideal $(fmt_s "$ideal"))"
    read -r first wall code < <(python3 "$REPO/bench/tty-run.py" "$DIR/out.json" \
      /usr/bin/time -v -o "$DIR/time.txt" "$IMGDUP" --concurrency "$c" -o json)
    [[ $code == 0 ]] || die "kubectl-imgdup exited $code: $(tail -5 "$DIR/time.txt")"
    walls+=("$wall") firsts+=("$first")
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DIR/time.txt")
    ((r > rss)) && rss=$r
    served=$(curl -sf "$URL/debug/requests" | jq .total)
    calls=$(jq -c --argjson s "$served" --argjson n "$N" \
      '.apiCalls | {max: .maxPerNode, total: (.create + .get + .log + .delete + .watch + .list + .preflight), served: $s, n: $n}' "$DIR/out.json")
    ok=$(jq '[.nodes[] | select(.verdict == "ok")] | length' "$DIR/out.json")
    [[ $ok == "$N" ]] || die "only $ok of $N nodes ok"
  done
  mmm() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {printf "%s %s %s", a[1], a[int((NR + 1) / 2)], a[NR]}'; }
  read -r wmin wmed wmax <<<"$(mmm "${walls[@]}")"
  read -r fmin fmed fmax <<<"$(mmm "${firsts[@]}")"
  over=$(awk -v w="$wmed" -v i="$ideal" 'BEGIN {printf "%+.1f %%", (w / i - 1) * 100}')
  okw=$(awk -v w="$wmed" -v i="$ideal" 'BEGIN {print (w <= 1.15 * i) ? 1 : 0}')
  per=$(jq -r '"\(.max) max (plugin), \(.served / .n * 100 | round / 100) served per node"' <<<"$calls")
  okc=$(jq '(.max <= 6) and (.served / .n <= 6)' <<<"$calls" | sed 's/true/1/;s/false/0/')
  ROWS+=("| $c | $(fmt_s "$ideal") | $(fmt_s "$wmin") / $(fmt_s "$wmed") / $(fmt_s "$wmax") | $over ($(verdict "$okw")) | $per ($(verdict "$okc")) | $(mib "$rss") ($(verdict "$(lt "$rss" $((200 * 1024)))")) | $(fmt_s "$fmin") / $(fmt_s "$fmed") / $(fmt_s "$fmax") |")
  summary "| 4. fan-out: $N nodes at c=$c vs ideal ceil(N/c)·t | $(fmt_s "$wmin") / $(fmt_s "$wmed") / $(fmt_s "$wmax"), $(mib "$rss"), $(jq .max <<<"$calls") calls/node | $(fmt_s "$ideal") (ideal) | $(ratio "$wmed" "$ideal") | ≤ 1.15×, ≤ 6 calls, < 200 MB | $(verdict "$((okw & okc & $(lt "$rss" $((200 * 1024)))))") |"
  per_node_ours=$(awk -v w="$wmed" -v n="$N" 'BEGIN {print w / n}')
done

# The peer: what a person types, one node after the other.
log "kubectl debug loop over $M nodes"
loop_start=$(date +%s.%N)
for ((i = 0; i < M; i++)); do
  said=$(kubectl debug "node/node-$i" --image=busybox -- cat /host/etc/hostname 2>&1)
  pod=$(sed -n 's/^Creating debugging pod \([^ ]*\) .*/\1/p' <<<"$said")
  [[ -n $pod ]] || die "kubectl debug: $said"
  kubectl wait --for=jsonpath='{.status.phase}'=Succeeded --timeout=60s "pod/$pod" >/dev/null
  kubectl logs "$pod" >/dev/null
  kubectl delete pod "$pod" --wait=false >/dev/null
done
loop_s=$(awk -v a="$loop_start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
per_node_loop=$(awk -v s="$loop_s" -v m="$M" 'BEGIN {print s / m}')

summary "| 4. fan-out vs a \`kubectl debug\`/wait/logs/delete loop, per node | $(fmt_s "$per_node_ours") (c=${CS[-1]}) | $(fmt_s "$per_node_loop") ($M nodes) | $(ratio "$per_node_ours" "$per_node_loop") | faster | $(verdict "$(lt "$per_node_ours" "$per_node_loop")") |"
cat <<EOF
## 4. Fan-out ($N simulated nodes, each agent taking $T s)

Rerun: \`bench/fanout.sh\` (the sim server's \`fakeNodes\`; $R run(s) per concurrency; \`kubectl imgdup --concurrency C -o json\` with stderr on a pty).
API calls: the plugin's \`apiCalls.maxPerNode\`, and the server's \`GET /debug/requests\` total over N (preflight and lists included).
First progress: time to the first byte the plugin writes to its terminal (stderr on a Python pty, as \`script -qc\` would give).

| c | ideal ceil(N/c)·t | wall min / median / max | over ideal (target ≤ +15 %) | API calls per node (target ≤ 6) | peak RSS (target < 200 MB) | first progress min / median / max |
|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

- **Peer**: a sequential \`kubectl debug node/X --image=busybox -- cat …\`; \`kubectl wait\` (phase Succeeded); \`kubectl logs\`; \`kubectl delete pod\` loop with kubectl $(kubectl version --client -o json | jq -r .clientVersion.gitVersion) against the same server: $(fmt_s "$loop_s") for $M nodes, **$(fmt_s "$per_node_loop") per node**.
- **Per-node ratio** at c=${CS[-1]}: the loop takes **$(ratio "$per_node_loop" "$per_node_ours")** as long per node as \`kubectl imgdup\` ($(fmt_s "$per_node_ours") per node).
EOF
