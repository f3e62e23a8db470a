#!/usr/bin/env python3
"""Writes a tree of about N files for the disk-usage walk benchmark.

Usage: bench/gen-tree.py N DIR

Shaped like an unpacked layer store: DIR/l<a>/d<b>/ directories of 100
entries each. One entry in 10 is a hard link to a file of another directory
(counted once by du and by the walker), one in 50 a symlink (never followed),
and file sizes vary from empty to a few blocks. Writes DIR/.done last, so a
half-written tree is never taken for a finished one.
"""

import os
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    n, root = int(sys.argv[1]), sys.argv[2]
    per_dir = 100
    dirs = max(1, n // per_dir)
    payload = b"x" * 9000
    made = 0
    prev = None
    for d in range(dirs):
        path = os.path.join(root, f"l{d // 100}", f"d{d % 100}")
        os.makedirs(path, exist_ok=True)
        for f in range(per_dir):
            entry = os.path.join(path, f"f{f}")
            if prev is not None and f % 10 == 9:
                os.link(os.path.join(prev, f"f{f - 1}"), entry)
            elif f % 50 == 48:
                os.symlink("../../" + "t" * (f + 60), entry)
            else:
                with open(entry, "wb") as out:
                    out.write(payload[: (f * 97 + d) % 9000 if f % 3 else 0])
            made += 1
        prev = path
    open(os.path.join(root, ".done"), "w").close()
    print(f"{made} entries in {dirs} directories -> {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
