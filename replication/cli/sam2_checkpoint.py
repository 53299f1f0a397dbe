"""`vss sam2-checkpoint`: take or download a SAM2 checkpoint, verify it, record it."""
from __future__ import annotations

from pathlib import Path

HELP = "take or download a SAM2 checkpoint, verify it, and record it (or why there is none)"


def add_arguments(p) -> None:
    p.add_argument("--dest", type=Path, required=True, help="where the checkpoint is or goes")
    p.add_argument("--url", required=True, help="official download URL")
    p.add_argument("--config", required=True, help="its sam2 package config")
    p.add_argument("--sha256", help="pinned hash to verify against")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the server")
    p.add_argument("--record", type=Path, required=True, help="JSON record to write")


def run(args) -> None:
    from replication.core.atomic import write_output_json
    from replication.masks.sam2.checkpoint import obtain_checkpoint

    record = obtain_checkpoint(args.dest, args.url, args.config, sha256=args.sha256,
                               timeout=args.timeout)
    write_output_json(args.record, record, "vss sam2-checkpoint")
    if record["available"]:
        print(f"{args.dest}: SAM2 checkpoint ok (sha256 {record['sha256']}, "
              f"{record['pinned'].split(':')[0]}) -> {args.record}")
    else:
        print(f"{args.dest}: no SAM2 checkpoint: {record['reason']}\nto fix: {record['fix']}")
