"""`vss import`: another project's predictions into this suite's layout."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common

HELP = "bring another project's predictions into the layout"


def add_arguments(p) -> None:
    common.add_dataset(p)
    p.add_argument("--src", type=Path, required=True, help="<src>/<video>/<stem>.png")
    p.add_argument("--out", type=Path, required=True)
    common.add_not_run(p)


def run(args) -> None:
    from replication.data.external import import_predictions

    n = import_predictions(args.src, common.dataset(args), common.splits(args, "eval"), args.out)
    print(f"imported {n} frames from {args.src} -> {args.out}")
