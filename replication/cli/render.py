"""`vss render`: videos of side-by-side panels (frame, ground truth, methods, masklets)."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common
from replication.report.render import RenderSettings

HELP = "videos (MP4 and a GIF preview) of a split's frames, ground truth, methods and masklets"


def add_arguments(p) -> None:
    common.add_dataset(p)
    p.add_argument("--methods", nargs="+", type=Path, default=[],
                   help="prediction folders, one panel each (named by their folder)")
    p.add_argument("--masks", type=Path, help="a masks folder: a panel of its masklets")
    p.add_argument("--video", nargs="+", help="the videos to render (default: the first "
                   "--videos of the split)")
    p.add_argument("--out", type=Path, required=True, help="folder of <dataset>_<video>.mp4/.gif")
    common.add_settings(p, RenderSettings)


def run(args) -> None:
    from replication.core.atomic import check_not_input
    from replication.core.settings import from_flags
    from replication.report.render import render_video

    settings = from_flags(RenderSettings, (common.params(args).get("report") or {}).get(
        "render") or {}, "report.render", **common.given(args, RenderSettings))
    dataset, split = common.dataset(args), common.splits(args, "eval")[0]
    check_not_input([args.out], [dataset.root, args.masks, *args.methods])
    videos = dataset.videos(split)
    chosen = [v for v in videos if v.name in args.video] if args.video else videos[
        :settings.videos]
    written = []
    for video in chosen:
        written += render_video(dataset, split, video, {m.name: m for m in args.methods},
                                args.masks, args.out, settings)
    print(f"rendered {len(chosen)} video(s) of {args.dataset} {split}: "
          + ", ".join(p.name for p in written) + f" -> {args.out}")
