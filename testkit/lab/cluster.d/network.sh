# shellcheck shell=bash
# Sourced by testkit/lab/cluster (not run): the cluster's network, from the
# host side (addresses, bridge, veths, routes) down to the CNI files in each
# node. Apart because it is the one stage that touches the host's network.
#
# A kubelet must run in its node's network namespace: the CRI streaming
# servers (containerd's stream_server_address 127.0.0.1:10010, cri-dockerd's)
# listen on the node's own loopback, and the kubelet dials them for
# exec/attach/port-forward. It also cannot use 127.0.0.1 as its node IP
# (kubelet: "failed to validate nodeIP: nodeIP can't be loopback address").
# So each node gets a veth `eth0` with 10.B.0.(10+i)/24, whose host end is in a
# bridge imgdupbrS (10.B.0.1/24) in the host namespace, where kube-apiserver
# listens (on that address only, not on every interface); etcd listens on
# 127.0.0.1. Pods get 10.B.(10+i).0/24 from the bridge CNI plugin inside their
# node. The whole 10.B.0.0/16 is a blackhole route in the host namespace, so
# nothing of the cluster's addresses ever leaves this machine. B = 213 + S; S,
# the cluster slot, is 0 for the default lab dir (else from a hash of the lab
# dir, or IMGDUP_CLUSTER_SLOT), so clusters of different lab dirs never clash.
#
# CNI: cni_up links the plugins into every dir the node's runtime reads, as
# probe_runtime (kubelet.sh) found them: the binDirs containerd's CRI reports
# (k3s's data/current/bin for k3s containerd 1.x and 2.x, /usr/lib/cni for a
# system containerd) or cri-dockerd's --cni-bin-dir (the lab gives none, as
# k3s --docker without flannel: its default /opt/cni/bin, the host's /opt;
# k3s-docker is the only node whose runtime reads /opt/cni/bin).

# Addressing, from the slot (see the header).
set_addresses() {
  local slot=${1:-}
  if [[ -z $slot ]]; then
    if [[ -n ${IMGDUP_CLUSTER_SLOT:-} ]]; then
      slot=$IMGDUP_CLUSTER_SLOT
    elif [[ $LAB == /tmp/imgdup-lab ]]; then
      slot=0
    else
      slot=$(($(printf '%s' "$LAB" | cksum | cut -d' ' -f1) % 40 + 1))
    fi
  fi
  [[ $slot =~ ^[0-9]+$ ]] && ((slot <= 40)) || die "IMGDUP_CLUSTER_SLOT must be 0..40, not '$slot'"
  SLOT=$slot
  NET=10.$((213 + SLOT))
  BRIDGE=imgdupbr$SLOT
  HOST_IP=$NET.0.1
  API_PORT=6443
  API_URL=https://$HOST_IP:$API_PORT
  ETCD_PORT=$((2379 + 10 * SLOT))
  ETCD_PEER_PORT=$((ETCD_PORT + 1))
  SERVICE_CIDR=$NET.255.0/24
}

# node_ip I / pod_cidr I for the node of index I (1..200).
node_ip() { echo "$NET.0.$((10 + $1))"; }
pod_cidr() { echo "$NET.$((10 + $1)).0/24"; }

net_up() {
  local alias="imgdup-lab-cluster $LAB" have
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    have=$(ip -o link show "$BRIDGE" | sed -n 's/.* alias //p')
    [[ $have == "$alias" ]] ||
      die "bridge $BRIDGE belongs to another cluster ('$have'); pick another IMGDUP_CLUSTER_SLOT"
  else
    if ip -4 -o addr show | awk '{print $4}' | grep -q "^$NET\."; then
      die "$NET.0.0/16 is already used by an interface of this host; pick another IMGDUP_CLUSTER_SLOT"
    fi
    ip link add "$BRIDGE" type bridge
    ip link set "$BRIDGE" alias "$alias"
  fi
  ip addr replace "$HOST_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Nothing addressed to the cluster's /16 leaves the host: the bridge's /24
  # and the pod routes are more specific; the rest goes nowhere.
  ip route replace blackhole "$NET.0.0/16"
}

net_down() {
  local l
  for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^imgdup${SLOT}n[0-9]*$" || true); do
    ip link del "$l" 2>/dev/null || true
  done
  ip route show 2>/dev/null | awk -v n="$NET." 'index($1, n) == 1 && $2 == "via" {print $1}' |
    while read -r r; do ip route del "$r" 2>/dev/null || true; done
  ip route del blackhole "$NET.0.0/16" 2>/dev/null || true
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    [[ $(ip -o link show "$BRIDGE" | sed -n 's/.* alias //p') == "imgdup-lab-cluster $LAB" ]] &&
      ip link del "$BRIDGE"
  fi
  return 0
}

# node_net_up NODE HOLDER INDEX: veth host end imgdup<S>n<I> in the bridge,
# node end eth0 with the node's IP; a host route to the node's pod subnet.
node_net_up() {
  local n=$1 hp=$2 i=$3 vh="imgdup${SLOT}n$3" ip
  ip=$(node_ip "$i")
  if ! ip link show "$vh" >/dev/null 2>&1; then
    nsenter -t "$hp" -n ip link del eth0 2>/dev/null || true
    ip link add "$vh" type veth peer name eth0 netns "$hp" ||
      die "$n: could not create the veth pair $vh/eth0"
  fi
  ip link set "$vh" master "$BRIDGE" up
  nsenter -t "$hp" -n sh -c "ip addr replace $ip/24 dev eth0 && ip link set eth0 up && ip link set lo up" ||
    die "$n: could not configure eth0 in the node"
  ip route replace "$(pod_cidr "$i")" via "$ip" dev "$BRIDGE"
}

# cni_up NODE INDEX: the plugins in every bin dir the runtime reads, and one
# bridge conflist in its conf dir. What is created under the node's own
# /var/lib, /etc or /run is recorded for `down`; /opt/cni/bin (the host's /opt,
# shared by every node) is left in place, as an installed package would be.
cni_up() {
  local n=$1 i=$2 conf dir p created=()
  conf=$(node_get "$n" CNI_CONF_DIR)/10-imgdup-lab.conflist
  for dir in $(node_get "$n" CNI_BIN_DIRS); do
    for p in "${CNI_PLUGINS[@]}"; do
      in_node "$n" test -e "$dir/$p" && continue
      in_node "$n" sh -c "mkdir -p '$dir' && ln -s '$CNI_SRC/$p' '$dir/$p'" ||
        die "$n: could not link $CNI_SRC/$p into $dir"
      case $dir in /var/lib/* | /etc/* | /run/*) created+=("$dir/$p") ;; esac
    done
  done
  in_node "$n" sh -c "mkdir -p '$(dirname "$conf")' && cat >'$conf'" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "imgdup-lab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$(pod_cidr "$i")"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  node_set "$n" CNI_CONF "$conf"
  ((${#created[@]} == 0)) || node_set "$n" CNI_LINKS "$(echo $(node_get "$n" CNI_LINKS) "${created[@]}")"
}
