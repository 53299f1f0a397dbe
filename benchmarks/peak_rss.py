"""Run a command and append its peak resident memory to a JSON-lines file (benchmarks/scale.py).

    VSS_SCALE_PEAKS=LOG python benchmarks/peak_rss.py CMD [ARG ...]

The peak is the largest `ru_maxrss` of the command's process tree, read by `wait4` here, in a
small parent. A command that `dvc repro` starts cannot measure itself: DVC forks, and Linux
carries a process's ru_maxrss across exec, so the command would report DVC's own resident
memory (it grows with the files DVC hashes) whenever that is larger than its own.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

LOG_ENV = "VSS_SCALE_PEAKS"  # the JSON-lines file the peak is appended to


def main(argv: list[str]) -> int:
    if not argv or not os.environ.get(LOG_ENV):
        sys.exit(__doc__)
    cmd = argv
    proc = subprocess.Popen(cmd)
    for sig in (signal.SIGINT, signal.SIGTERM):  # a killed `dvc repro` stops the command too
        signal.signal(sig, lambda signum, frame: proc.send_signal(signum))
    _, status, usage = os.wait4(proc.pid, 0)
    with open(os.environ[LOG_ENV], "a") as out:
        out.write(json.dumps({"command": " ".join(cmd[:2]),
                              "peak_rss_mb": round(usage.ru_maxrss / 1024)}) + "\n")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
