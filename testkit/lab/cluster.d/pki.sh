# shellcheck shell=bash
# Sourced by testkit/lab/cluster (not run): the cluster's PKI. One CA signs
# etcd's, the apiserver's and every client's certificate (admin, the
# apiserver as etcd and kubelet client, the controller-manager, each node's
# kubelet as client and as server); kubeconfigs embed them. Apart because
# every other stage only consumes files under $PKI.

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 0600 "$1"; }

# issue NAME SUBJECT EXTENDED-KEY-USAGE [SUBJECT-ALT-NAMES]
issue() {
  local name=$1 subj=$2 eku=$3 san=${4:-}
  new_key "$PKI/$name.key"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$eku"
    [[ -z $san ]] || echo "subjectAltName=$san"
  } >"$PKI/$name.ext"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "$PKI/$name.ext" \
    -out "$PKI/$name.crt" 2>/dev/null || die "openssl could not issue the $name certificate"
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

make_pki() {
  [[ -s $PKI/ca.crt && -s $PKI/admin.crt ]] && return 0
  log "making the CA and the control plane's certificates in $PKI"
  rm -rf "$PKI"
  mkdir -p "$PKI"
  new_key "$PKI/ca.key"
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=imgdup-lab-ca" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/ca.crt" 2>/dev/null || die "openssl could not make the CA"
  issue etcd-server "/CN=etcd-server" serverAuth "IP:127.0.0.1,DNS:localhost"
  issue apiserver-etcd-client "/CN=kube-apiserver-etcd-client" clientAuth
  issue apiserver "/CN=kube-apiserver" serverAuth \
    "IP:$HOST_IP,IP:${SERVICE_CIDR%.0/24}.1,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  issue apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" clientAuth
  issue admin "/O=system:masters/CN=imgdup-lab-admin" clientAuth
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 0600 "$PKI/sa.key"
}

# write_kubeconfig FILE USER CERT KEY: certificates embedded.
write_kubeconfig() {
  local file=$1 user=$2 cert=$3 key=$4
  cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: imgdup-lab
  cluster:
    server: $API_URL
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$cert")
    client-key-data: $(base64 -w0 "$key")
contexts:
- name: $user@imgdup-lab
  context:
    cluster: imgdup-lab
    user: $user
current-context: $user@imgdup-lab
EOF
  chmod 0600 "$file.tmp"
  mv "$file.tmp" "$file"
}

node_certs() { # NODE INDEX
  local n=$1 ip
  ip=$(node_ip "$2")
  issue "node-$n" "/O=system:nodes/CN=system:node:$n" clientAuth
  issue "kubelet-$n" "/CN=$n" serverAuth "IP:$ip,DNS:$n"
}
