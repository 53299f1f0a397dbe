"""`vss make-mini`: a miniature VSPW or Cityscapes in the official layout, made from CamVid; or
a VSPW of any size up to the real benchmark's (`--videos`, `--frames`, `--frame-size`)."""
from __future__ import annotations

from pathlib import Path

HELP = ("a miniature VSPW or Cityscapes in the official layout, built from CamVid (for tests "
        "and CI), or a VSPW of any size up to the real one's")


def add_arguments(p) -> None:
    from replication.data.mini import VSPW_REAL_FRAMES, VSPW_REAL_VIDEOS

    p.add_argument("dataset", choices=["vspw", "cityscapes"])
    p.add_argument("--camvid", type=Path, required=True, help="a full CamVid folder")
    p.add_argument("--dest", type=Path, required=True)
    p.add_argument("--archive", action="store_true", help="also pack the official archives")
    sized = p.add_argument_group("a VSPW of any size (instead of the miniature)")
    sized.add_argument("--videos", type=int, nargs=3, metavar=("TRAIN", "VAL", "TEST"),
                       help="videos per split")
    sized.add_argument("--frames", type=int, help="frames in all, spread evenly over the videos")
    sized.add_argument("--real-counts", action="store_true",
                       help=f"the real VSPW's: {' / '.join(map(str, VSPW_REAL_VIDEOS))} "
                       f"videos, {VSPW_REAL_FRAMES:,} frames")
    sized.add_argument("--frame-size", type=int, nargs=2, metavar=("HEIGHT", "WIDTH"),
                       help="resize every frame (default: CamVid's 360x480)")


def run(args) -> None:
    from replication.core.errors import SettingsError
    from replication.data import mini

    if args.real_counts:
        args.videos, args.frames = args.videos or mini.VSPW_REAL_VIDEOS, (
            args.frames or mini.VSPW_REAL_FRAMES)
    sized = args.videos or args.frames or args.frame_size
    if sized and args.dataset != "vspw":
        raise SettingsError("--videos, --frames, --real-counts and --frame-size make a VSPW; "
                            "the Cityscapes miniature has one size")
    if sized and not (args.videos and args.frames):
        raise SettingsError("a sized VSPW needs --videos TRAIN VAL TEST and --frames (or "
                            "--real-counts)")
    if sized:
        root = mini.make_vspw_sized(args.camvid, args.dest, tuple(args.videos), args.frames,
                                    args.frame_size and tuple(args.frame_size), args.archive)
        print(f"vspw of {sum(args.videos)} videos and {args.frames:,} frames in its official "
              f"layout -> {root}")
        return
    make = {"vspw": mini.make_vspw, "cityscapes": mini.make_cityscapes}[args.dataset]
    root = make(args.camvid, args.dest, archive=args.archive)
    print(f"{args.dataset} miniature in its official layout -> {root}")
