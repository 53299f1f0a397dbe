"""`vss`: one subcommand per pipeline stage, each a small module over one library call.

Every command takes its settings as flags; with `--params params.yaml` (as dvc.yaml runs them)
what is not given comes from params: the benchmark's folder and splits (`--dataset`), and the
command's own entry (`--entry`: a baseline, a masks source, a reference method). Flags that are
not given and not in params take the library's defaults (the settings dataclasses).
"""
from __future__ import annotations

import argparse
import atexit
import errno
import importlib
import os
import signal
import sys
from pathlib import Path

FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)  # a write that found no room
PEAK_ENV = "VSS_PEAK_LOG"  # a file: each command appends its peak memory there at exit
# command -> its module in this package (each has HELP, add_arguments(parser) and run(args))
COMMANDS = {
    "fetch": "fetch", "evaluate": "evaluate", "score": "score", "degrade": "degrade",
    "train": "train", "predict": "predict", "masks": "masks", "classify": "classify",
    "report": "report", "readme": "readme", "ci-profile": "ci_profile",
    "make-mini": "make_mini", "sam2-checkpoint": "sam2_checkpoint", "seeds": "seeds",
    "refine": "refine", "import": "import_", "deps": "deps", "profile": "profile",
    "render": "render", "features": "features",
}


def command_module(command: str):
    return importlib.import_module(f"{__name__}.{COMMANDS[command]}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vss", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        module = command_module(command)
        p = sub.add_parser(command, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; a VSSError (bad input, a setting, a missing file) is one line on stderr
    and exit 1, anything else a bug with its traceback."""
    from replication.core.errors import Unavailable, VSSError

    args = build_parser().parse_args(argv)
    if os.environ.get(PEAK_ENV):
        atexit.register(_log_peak, Path(os.environ[PEAK_ENV]), args.command)
    # SIGTERM (e.g. a killed `dvc repro`) unwinds like Ctrl-C, so staging folders are removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        try:
            args.run(args)
        except Unavailable as exc:
            if not getattr(args, "record_not_run", False):
                raise
            _record_not_run(args, exc)
    except VSSError as exc:
        print(f"vss {args.command}: error: {exc}" + (f"\n  to fix: {exc.fix}" if exc.fix else ""),
              file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno not in FULL:
            raise
        print(f"vss {args.command}: error: {exc.filename or 'a file'}: {exc.strerror} (the "
              "disk or a file-size limit is full; the previous outputs are as they were: free "
              "space and run again)", file=sys.stderr)
        return 1
    return 0


def _log_peak(path: Path, command: str) -> None:
    """Append this command's peak resident memory (its own, and its largest child's) to
    `path` (PEAK_ENV: for benchmarks/scale.py)."""
    import json
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with path.open("a") as out:
        out.write(json.dumps({"command": command, "peak_rss_mb": round(own / 1024),
                              "child_peak_rss_mb": round(child / 1024)}) + "\n")


def _record_not_run(args, exc) -> None:
    """Write the outputs of a command whose input is unavailable as 'not run' records: its
    output folder, its JSON records and its training curve (a command module's
    `not_run_outputs(args)` names them when they are not `--out`, `--stats`, `--manifest` and
    `--curve`)."""
    from replication.core.not_run import record_not_run

    module = command_module(args.command)
    if hasattr(module, "not_run_outputs"):
        outputs = module.not_run_outputs(args)
    else:
        curve = getattr(args, "curve", None)
        outputs = {"folder": getattr(args, "out", None),
                   "records": tuple(p for p in (getattr(args, "stats", None),
                                                getattr(args, "manifest", None)) if p),
                   "curve": (curve, args.curve_fields) if curve else None}
    record = record_not_run(exc, dataset=getattr(args, "dataset", None), **outputs)
    print(f"vss {args.command}: not run ({record['reason']})\n  to fix: {record['fix']}")
