#!/usr/bin/env bash
# Figure 5: start-up. `kubectl-imgdup --help` and `crictl-which --version`
# against `kubectl version --client` (the start-up of the tool a person runs
# anyway), and the plugin reached through kubectl's plugin dispatch.
#
# Usage: bench/startup.sh [--quick]   (Markdown on stdout, progress on stderr)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need hyperfine hyperfine
need jq jq

json=$WORK/startup.json
runs=$(runs 100 5)
log "timing start-up ($runs runs each)"
export PATH=$REL:$PATH # kubectl finds the plugin on PATH
hf "$json" -N --warmup 5 --runs "$runs" \
  -n "kubectl-imgdup --help" "$REL/kubectl-imgdup --help" \
  -n "crictl-which --version" "$REL/crictl-which --version" \
  -n "kubectl imgdup --help" "kubectl imgdup --help" \
  -n "kubectl version --client" "kubectl version --client"

a=$(median "$json" "kubectl-imgdup --help")
b=$(median "$json" "crictl-which --version")
peer=$(median "$json" "kubectl version --client")
summary "| 5. start-up: \`kubectl-imgdup --help\` vs \`kubectl version --client\` | $(triple "$json" "kubectl-imgdup --help") | $(triple "$json" "kubectl version --client") | $(ratio "$a" "$peer") | < 20 ms | $(verdict "$(lt "$a" 0.020)") |"
summary "| 5. start-up: \`crictl-which --version\` vs \`kubectl version --client\` | $(triple "$json" "crictl-which --version") | $(triple "$json" "kubectl version --client") | $(ratio "$b" "$peer") | < 20 ms | $(verdict "$(lt "$b" 0.020)") |"
cat <<EOF
## 5. Start-up

Rerun: \`bench/startup.sh\` (hyperfine -N --warmup 5 --runs $runs, release builds).

| command | min / median / max | / kubectl version --client | target < 20 ms |
|---|---|---|---|
| \`kubectl-imgdup --help\` | $(triple "$json" "kubectl-imgdup --help") | $(ratio "$a" "$peer") | $(verdict "$(lt "$a" 0.020)") |
| \`crictl-which --version\` | $(triple "$json" "crictl-which --version") | $(ratio "$b" "$peer") | $(verdict "$(lt "$b" 0.020)") |
| \`kubectl imgdup --help\` (through kubectl) | $(triple "$json" "kubectl imgdup --help") | $(ratio "$(median "$json" "kubectl imgdup --help")" "$peer") | |
| peer: \`kubectl version --client\` | $(triple "$json" "kubectl version --client") | 1.00× | |
EOF
