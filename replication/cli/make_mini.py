"""`vss make-mini`: a miniature VSPW or Cityscapes in the official layout, made from CamVid."""
from __future__ import annotations

from pathlib import Path

HELP = ("a miniature VSPW or Cityscapes in the official layout, built from CamVid (for tests "
        "and CI)")


def add_arguments(p) -> None:
    p.add_argument("dataset", choices=["vspw", "cityscapes"])
    p.add_argument("--camvid", type=Path, required=True, help="a full CamVid folder")
    p.add_argument("--dest", type=Path, required=True)
    p.add_argument("--archive", action="store_true", help="also pack the official archives")


def run(args) -> None:
    from replication.data import mini

    make = {"vspw": mini.make_vspw, "cityscapes": mini.make_cityscapes}[args.dataset]
    root = make(args.camvid, args.dest, archive=args.archive)
    print(f"{args.dataset} miniature in its official layout -> {root}")
