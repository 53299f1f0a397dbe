"""`vss degrade`: the ground truth, optionally degraded, as predictions (reference methods)."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common
from replication.data.degrade import DegradeSettings

HELP = "write the ground truth, optionally degraded, as predictions"


def add_arguments(p) -> None:
    common.add_dataset(p, entry="a reference method (`reference_methods:`)")
    p.add_argument("--out", type=Path, required=True)
    common.add_settings(p, DegradeSettings)
    common.add_not_run(p)


def run(args) -> None:
    from replication.core.settings import from_flags
    from replication.data.degrade import write_reference_predictions

    flags = common.entry(args, "reference_methods")
    if "seed" in common.params(args):
        flags.setdefault("seed", common.params(args)["seed"])
    settings = from_flags(DegradeSettings, flags, common.where(args, "reference_methods"),
                          **common.given(args, DegradeSettings))
    n = write_reference_predictions(common.dataset(args), common.splits(args, "eval"), args.out,
                                    settings)
    print(f"wrote {n} frames to {args.out}")
