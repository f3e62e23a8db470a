//! The examples each command's `--help` ends with (and its man page's
//! EXAMPLES). `kubectl imgdup` runs kubectl-imgdup as a kubectl plugin.

pub const CLUSTER: &str = "\
Examples:
  # Scan every node, one short-lived read-only agent pod per node
  kubectl imgdup

  # Two nodes; exit 3 when an image is stored twice (for CI)
  kubectl imgdup worker-1 worker-2 --fail-on-duplicates

  # The nodes of one pool, pods in namespace imgdup, as JSON
  kubectl imgdup -l node-pool=gpu -n imgdup -o json

  # Print the pods it would create; touches no cluster
  kubectl imgdup --dry-run worker-1 -o yaml";

pub const NODE: &str = "\
Examples:
  # On the node itself, as root
  kubectl imgdup node --local

  # In a debug pod that mounts the node's / at /host
  kubectl imgdup node --local --host-root /host

  # As JSON; exit 3 when an image is stored twice
  kubectl imgdup node --local -o json --fail-on-duplicates

  # Take crictl's runtime endpoint from the command line
  kubectl imgdup node --local -r unix:///run/k3s/containerd/containerd.sock";

pub const PRUNE: &str = "\
Examples:
  # The plan on every node, then one question; only a yes removes anything
  kubectl imgdup prune -n imgdup

  # The prune pods it would run, after a read-only scan
  kubectl imgdup prune worker-1 --dry-run -o yaml -n imgdup

  # This node, keeping everything from one registry
  kubectl imgdup prune --local --yes --exclude 'registry.k8s.io/*'

  # This node: a runtime-switch leftover, removed whole once nothing uses it
  kubectl imgdup prune --local --yes --remove-leftover-store /var/lib/docker";

pub const SERVE: &str = "\
Examples:
  # On the node, as root: scan every 10 minutes, metrics on :9847
  kubectl imgdup serve

  # In a pod that mounts the node's / at /host (deploy/daemonset.yaml)
  kubectl imgdup serve --host-root /host --node-name \"$NODE_NAME\"

  # Every 30 minutes, with the 5 images that free the most as series
  kubectl imgdup serve --interval 30m --top-images 5 --listen 127.0.0.1:9847";

pub const WHICH: &str = "\
Examples:
  # The daemons and the directory behind crictl on worker-1
  kubectl imgdup which worker-1

  # As JSON (the crictl-which Chain document)
  kubectl imgdup which worker-1 -o json

  # Agent pod in namespace imgdup, from a mirrored image
  kubectl imgdup which worker-1 -n imgdup --image registry.local/kubectl-imgdup:0.1.0";

pub const CLEANUP: &str = "\
Examples:
  # Delete every pod kubectl imgdup left behind, in any namespace
  kubectl imgdup cleanup

  # Only list them
  kubectl imgdup cleanup --dry-run

  # Only in namespace imgdup
  kubectl imgdup cleanup -n imgdup";

pub const COMPLETION: &str = "\
Examples:
  # bash, in the current shell
  source <(kubectl-imgdup completion bash)

  # zsh, installed once
  kubectl-imgdup completion zsh > \"${fpath[1]}/_kubectl-imgdup\"

  # fish
  kubectl-imgdup completion fish > ~/.config/fish/completions/kubectl-imgdup.fish

These complete the kubectl-imgdup executable. `kubectl imgdup <TAB>` is
completed by kubectl itself, through kubectl_complete-imgdup.";

pub const TOP: &str = "\
Examples:
  # Duplicated images across the cluster, biggest first, and leftover stores
  kubectl imgdup top

  # Ranked by the number of nodes, with each node's source (serve pod or agent pod)
  kubectl imgdup top --sort-by nodes -o wide

  # Raw bytes for a spreadsheet, from every context of the kubeconfig
  kubectl imgdup top --all-contexts -o csv

  # Two clusters, grouped by context; the exit code is the worst of both
  kubectl imgdup top --context prod-eu,prod-us -o json";
