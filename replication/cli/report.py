"""`vss report`: tables, figures and the headline table from results/."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common

HELP = "tables and figures from results/"


def add_arguments(p) -> None:
    p.add_argument("--params", type=Path, required=True,
                   help="which benchmarks ran (`datasets`) and their region/temporal splits")
    p.add_argument("--results", type=Path, default=Path("results"))
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--resamples", type=int, help="bootstrap resamples (default: "
                   "`report.resamples` in params, else 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    p.add_argument("--predictions", type=Path, default=Path("predictions"),
                   help="qualitative panels: predictions/<dataset>/<method>")
    p.add_argument("--masks-root", type=Path, default=Path("masks"),
                   help="qualitative panels: masks/<dataset>/<source>")
    p.add_argument("--counts", type=Path, default=Path("counts"),
                   help="the bootstrap's units: counts/<dataset>/<method>.npz (vss score)")


def run(args) -> None:
    from replication.report.build import build_report

    params = common.params(args)
    resamples = args.resamples or (params.get("report") or {}).get("resamples")
    written = build_report(args.results, args.out, params, resamples=resamples,
                           seed=args.seed, predictions=args.predictions, masks=args.masks_root,
                           counts=args.counts)
    print(f"wrote {len(written)} files -> {args.out} (start at {args.out / 'README.md'})")
