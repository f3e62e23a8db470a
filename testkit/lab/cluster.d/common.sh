# shellcheck shell=bash
# Sourced by testkit/lab/cluster (not run): the helpers every stage uses.
# Logging and failing (log, die, fail_component), our own processes (alive,
# ours, stop_pid), the cluster lock, kubectl as the admin (kc), and a node's
# two state files: the cluster's $NODES/<node>.env (node_get/node_set) and
# the lab's $LAB/<node>/state.env (holder_of, state_of), plus in_node to run
# a command in a lab node's namespaces. Apart so that each stage file can
# rely on them without the entry point growing past its commands.

log() { printf '%s cluster: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "lab cluster: $*" >&2; exit 1; }

# fail_component NAME LOGFILE MESSAGE: the error, then the tail of the log.
fail_component() {
  echo "lab cluster: $1: $3" >&2
  if [[ -f $2 ]]; then
    echo "----- tail of $2 -----" >&2
    tail -n 30 "$2" >&2 || true
  fi
  exit 1
}

alive() {
  local st
  [[ -n ${1:-} ]] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && ${st:0:1} != Z ]]
}

# ours PID MARK: PID is alive and its command line contains MARK.
ours() {
  alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# stop_pid NAME PID GRACE [quiet]: SIGTERM, then SIGKILL after GRACE seconds.
stop_pid() {
  local name=$1 pid=$2 grace=$3 quiet=${4:-} deadline
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if alive "$pid"; then
    [[ -n $quiet ]] || echo "lab cluster: $name (pid $pid) ignored SIGTERM for ${grace}s; SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  fi
}

lock_cluster() {
  local deadline=$((SECONDS + LOCK_TIMEOUT))
  mkdir -p "$LAB"
  exec 7>"$LAB/.lock-cluster"
  until flock -w 1 7; do
    ((SECONDS < deadline)) || die "could not lock $LAB/.lock-cluster within ${LOCK_TIMEOUT}s (another lab cluster command is running)"
  done
}

kc() { kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=20s "$@"; }

# A node's state file: $NODES/<node>.env (KEY=VALUE).
node_env() { echo "$NODES/$1.env"; }
node_get() { # NODE KEY
  local f
  f=$(node_env "$1")
  [[ -f $f ]] || return 1
  (set +u; . "$f"; printf '%s' "${!2:-}")
}
node_set() { # NODE KEY VALUE (appends; the last one wins when sourced)
  printf '%s=%q\n' "$2" "$3" >>"$(node_env "$1")"
}

# holder_of NODE: the live holder pid of a lab node, from its state.env.
holder_of() {
  local env=$LAB/$1/state.env hp
  [[ -s $env ]] || return 1
  hp=$(sed -n 's/^HOLDER_PID=//p' "$env")
  alive "$hp" || return 1
  tr '\0' ' ' <"/proc/$hp/cmdline" 2>/dev/null | grep -q -- "_holder $1\( \|$\)" || return 1
  echo "$hp"
}

# in_node NODE CMD...: run CMD inside the node (mount, net, pid namespaces).
in_node() {
  local n=$1 hp
  shift
  hp=$(holder_of "$n") || die "$n: the lab node is not up"
  nsenter -t "$hp" -m -n -p -- "$@"
}

state_of() { # NODE KEY: a value of the node's lab state.env
  sed -n "s/^$2=//p" "$LAB/$1/state.env" | tr -d '"'
}
