#!/usr/bin/env python3
"""Runs a command with its stderr on a pseudo-terminal, so that it shows
its progress bar as on a person's terminal, and reports how long the first
byte of that progress took and how long the whole run took.

Usage: bench/tty-run.py STDOUT-FILE CMD [ARG...]

CMD's stdout goes to STDOUT-FILE, its stdin is /dev/null. Prints
`first_output_s total_s exit_code` on stdout (first_output_s is -1 when
nothing was written to the terminal).
"""

import os
import pty
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    master, slave = pty.openpty()
    start = time.monotonic()
    with open(sys.argv[1], "wb") as out:
        proc = subprocess.Popen(
            sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out, stderr=slave
        )
    os.close(slave)
    first = -1.0
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal is gone
            break
        if not chunk:
            break
        if first < 0:
            first = time.monotonic() - start
    code = proc.wait()
    print(f"{first:.4f} {time.monotonic() - start:.4f} {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
