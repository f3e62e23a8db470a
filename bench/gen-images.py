#!/usr/bin/env python3
"""Writes one `docker save`-format archive holding N FROM-scratch images.

Usage: bench/gen-images.py N OUT.tar [SEED]

Each image has 1 to 5 layers: an image with one layer has only its own;
otherwise it stacks one of 8 shared bases, 0 to 3 of 40 shared middle layers
and a layer of its own, as images built from common bases do. Every layer is
an uncompressed tar of one small file, so its DiffID is the sha256 of the
blob. `docker load -i OUT.tar` and `ctr -n k8s.io images import OUT.tar` both
read this format; no registry is involved. Same N and SEED, same bytes.
"""

import hashlib
import io
import json
import random
import sys
import tarfile

BASES, MIDS = 8, 40


def layer_tar(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), 1704067200, 0o644
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) == 4 else 1)
    layers: dict[str, bytes] = {}  # hex -> blob, each written once

    def layer(name: str) -> str:
        blob = layer_tar(name, (name + "\n").encode() * 16)
        hexd = hashlib.sha256(blob).hexdigest()
        layers.setdefault(hexd, blob)
        return hexd

    manifest, configs = [], {}
    for i in range(n):
        count = rng.randint(1, 5)
        stack = []
        if count > 1:
            stack.append(layer(f"base-{rng.randrange(BASES)}"))
            stack += [layer(f"mid-{m}") for m in rng.sample(range(MIDS), count - 2)]
        stack.append(layer(f"img-{i}"))
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "created": "2024-01-01T00:00:00Z",
                "config": {"Cmd": ["/img"], "Labels": {"imgdup.bench": str(i)}},
                "rootfs": {"type": "layers", "diff_ids": [f"sha256:{h}" for h in stack]},
            },
            sort_keys=True,
        ).encode()
        chex = hashlib.sha256(config).hexdigest()
        configs[chex] = config
        manifest.append(
            {
                "Config": f"{chex}.json",
                "RepoTags": [f"imgdup.bench/img-{i}:1"],
                "Layers": [f"{h}/layer.tar" for h in stack],
            }
        )

    def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime = len(data), 1704067200
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for hexd, blob in layers.items():
            add(tar, f"{hexd}/layer.tar", blob)
        for chex, config in configs.items():
            add(tar, f"{chex}.json", config)
        add(tar, "manifest.json", json.dumps(manifest).encode())
    print(f"{n} images, {len(layers)} distinct layers -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
