"""`vss score`: score every method the params make for a benchmark."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common

HELP = "score every method the params make for a benchmark (only those whose predictions changed)"


def add_arguments(p) -> None:
    p.add_argument("--dataset", choices=common.DATASETS, required=True)
    p.add_argument("--params", type=Path, required=True)
    p.add_argument("--predictions", type=Path, required=True, help="predictions/<dataset>")
    p.add_argument("--card", type=Path, help="the benchmark's data card (results/data/<name>."
                   "json): part of each method's fingerprint")
    p.add_argument("--out", type=Path, required=True, help="results folder (one JSON a method)")
    p.add_argument("--metrics", type=Path, required=True,
                   help="folder of one headline JSON a method (`dvc metrics show`)")
    p.add_argument("--counts", type=Path, required=True,
                   help="folder of one <method>.npz a method: the bootstrap's per-frame and "
                        "per-window units (a DVC output)")
    p.add_argument("--quiet", action="store_true")


def run(args) -> None:
    from replication.pipeline.score import score_benchmark

    done = score_benchmark(common.params(args), common.benchmark(args), args.predictions,
                           args.out, args.metrics, args.counts, card=args.card,
                           progress=not args.quiet)
    print(f"{args.dataset}: {done['scored']} methods scored, {done['kept']} unchanged, "
          f"{done['not_run']} not run -> {args.out}")
