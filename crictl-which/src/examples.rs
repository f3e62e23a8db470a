//! The examples `crictl-which --help` ends with (and its man page's EXAMPLES).

pub const WHICH: &str = "\
Examples:
  # Which daemons and which directory does crictl really use here?
  crictl-which

  # In a debug pod that mounts the node's / at /host, as JSON
  crictl-which --host-root /host -o json

  # Follow the endpoint `crictl -r` would use
  crictl-which -r unix:///run/k3s/containerd/containerd.sock

  # Read processes and config files only; dial no socket
  crictl-which --offline";
