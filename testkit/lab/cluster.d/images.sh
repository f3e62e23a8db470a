# shellcheck shell=bash
# Sourced by testkit/lab/cluster (not run): the images the cluster brings and
# how any image gets into a node's kubelet runtime. The sandbox (pause) image
# from testkit/lab/pause.c and imgdup.test/busybox:1, both FROM scratch and
# built reproducibly into $IMG_CACHE; import_tar loads an archive with docker
# load or ctr import and records the new refs so that `down` removes only
# those (setup_node and `load-image` use it). Apart because it needs neither
# the control plane nor the network.

# make_image_tar OUT REF ROOTFS CONFIG-JSON: a docker-save archive (one layer,
# built reproducibly) that both `docker load` and `ctr import` take.
make_image_tar() {
  local out=$1 ref=$2 rootfs=$3 cfg=$4 w diff cdig
  w=$(mktemp -d "$IMG_CACHE/.tar.XXXXXX")
  (cd "$rootfs" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
    tar --owner=0 --group=0 --numeric-owner --mtime='2024-01-01 00:00:00Z' --no-recursion -cf "$w/layer.tar" -T -)
  diff=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
  mkdir "$w/$diff"
  mv "$w/layer.tar" "$w/$diff/layer.tar"
  jq -c --arg d "sha256:$diff" '. + {architecture: "amd64", os: "linux", created: "2024-01-01T00:00:00Z",
      rootfs: {type: "layers", diff_ids: [$d]}}' <<<"$cfg" >"$w/config.json"
  cdig=$(sha256sum "$w/config.json" | cut -d' ' -f1)
  mv "$w/config.json" "$w/$cdig.json"
  jq -nc --arg c "$cdig.json" --arg r "$ref" --arg l "$diff/layer.tar" \
    '[{Config: $c, RepoTags: [$r], Layers: [$l]}]' >"$w/manifest.json"
  tar --owner=0 --group=0 --numeric-owner --mtime='2024-01-01 00:00:00Z' -C "$w" \
    -cf "$out.tmp" manifest.json "$cdig.json" "$diff/layer.tar"
  mv "$out.tmp" "$out"
  rm -rf "$w"
}

# The sandbox ("pause") image, FROM scratch: testkit/lab/pause.c built static.
pause_tar() { # REF -> prints the archive path
  local ref=$1 key out rootfs
  key=$(cat "$REPO_ROOT/testkit/lab/pause.c" <(printf '%s' "$ref") | sha256sum | cut -c1-12)
  out=$IMG_CACHE/pause-$key.tar
  if [[ ! -s $out ]]; then
    rootfs=$(mktemp -d "$IMG_CACHE/.pause.XXXXXX")
    gcc -Os -static -Wall -o "$rootfs/pause" "$REPO_ROOT/testkit/lab/pause.c" ||
      die "gcc could not build a static pause from testkit/lab/pause.c (apt-get install gcc libc6-dev)"
    strip "$rootfs/pause"
    make_image_tar "$out" "$ref" "$rootfs" '{"config": {"Entrypoint": ["/pause"], "WorkingDir": "/"}}'
    rm -rf "$rootfs"
  fi
  echo "$out"
}

# A busybox image FROM scratch: the static /bin/busybox and its applet links.
busybox_tar() {
  local key out rootfs a
  key=$(sha256sum /bin/busybox | cut -c1-12)
  out=$IMG_CACHE/busybox-$key.tar
  if [[ ! -s $out ]]; then
    rootfs=$(mktemp -d "$IMG_CACHE/.busybox.XXXXXX")
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
    chmod 1777 "$rootfs/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    /bin/busybox --list-full | while read -r a; do
      [[ -n $a && $a != bin/busybox ]] || continue
      mkdir -p "$rootfs/$(dirname "$a")"
      [[ -e $rootfs/$a ]] || ln -s /bin/busybox "$rootfs/$a"
    done
    make_image_tar "$out" "$BUSYBOX_REF" "$rootfs" \
      '{"config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}}'
    rm -rf "$rootfs"
  fi
  echo "$out"
}

# tar_refs TAR: the RepoTags of a docker-save archive (or the OCI ref names).
tar_refs() {
  local m
  if m=$(tar -xOf "$1" manifest.json 2>/dev/null); then
    jq -r '.[].RepoTags[]?' <<<"$m"
  elif m=$(tar -xOf "$1" index.json 2>/dev/null); then
    jq -r '.manifests[].annotations["io.containerd.image.name"] // .manifests[].annotations["org.opencontainers.image.ref.name"] // empty' <<<"$m"
  fi
}

# normalize_ref REF: the full name containerd stores (docker's normalization):
# busybox:1 -> docker.io/library/busybox:1, rancher/x:1 -> docker.io/rancher/x:1.
normalize_ref() {
  local r=$1 first=${1%%/*}
  if [[ $r != */* ]]; then
    r=docker.io/library/$r
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
    r=docker.io/$r
  fi
  [[ ${r##*/} == *[:@]* ]] || r+=:latest
  echo "$r"
}

# cri_has NODE REF: the kubelet's runtime (CRI image service) has REF.
cri_has() {
  local n=$1 ref=$2 ep
  ep=$(node_get "$n" ENDPOINT)
  in_node "$n" timeout 20 "$GO_BIN/crictl" -r "$ep" -i "$ep" --timeout 10s inspecti "$ref" >/dev/null 2>&1
}

# import_tar NODE TAR: load TAR into the node's kubelet runtime. The refs that
# were not there before are recorded, so that `down` removes only those.
import_tar() {
  local n=$1 tar=$2 kind sock ctr ref refs=() new=()
  kind=$(node_get "$n" RUNTIME)
  mapfile -t refs < <(tar_refs "$tar")
  ((${#refs[@]} > 0)) || die "$tar: no image name in the archive (docker save NAME:TAG, or an OCI archive with a ref name)"
  for ref in "${refs[@]}"; do cri_has "$n" "$ref" || new+=("$ref"); done
  case $kind in
    cri-dockerd)
      in_node "$n" timeout 300 docker -H "unix://$DOCKER_SOCK" load -q -i "$tar" >/dev/null ||
        die "$n: docker load $tar failed"
      ;;
    containerd)
      sock=$(node_get "$n" CTRD_SOCK)
      ctr=$(node_get "$n" CTR)
      in_node "$n" timeout 300 "$ctr" -a "$sock" -n k8s.io images import "$tar" >/dev/null ||
        die "$n: $ctr -a $sock -n k8s.io images import $tar failed"
      ;;
    *) die "$n: unknown runtime '$kind'" ;;
  esac
  for ref in "${refs[@]}"; do
    cri_has "$n" "$ref" || die "$n: $ref was imported but the CRI ($(node_get "$n" ENDPOINT)) does not list it"
  done
  ((${#new[@]} == 0)) || node_set "$n" IMPORTED "$(echo $(node_get "$n" IMPORTED) "${new[@]}")"
}
