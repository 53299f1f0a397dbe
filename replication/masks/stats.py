"""Statistics of a masks folder: masklets per frame, their length in frames, pixel coverage and
the source's speed (from the time each video took, stored in its masklet file)."""
from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np

from replication.data.video import Video
from replication.masks.store import load, masklet_path


def masklet_stats(masks_dir: Path, videos: list[tuple[str, Video]]) -> dict:
    """Statistics of the masklet files of `(split, video)` pairs."""
    per_frame, lengths, coverage = array("q"), array("q"), array("d")  # no object a frame
    seconds = []
    source = None
    for split, video in videos:
        vm = load(masklet_path(masks_dir, split, video.name))
        source = vm.source
        seconds.append(vm.seconds)
        lengths.extend(len(m.rle) - m.rle.count(None) for m in vm.masklets)
        for t in range(len(vm.frames)):
            runs = vm.runs(t)
            per_frame.append(runs.n)
            covered = np.count_nonzero(np.bincount(runs.pixels()[1],
                                                   minlength=vm.height * vm.width))
            coverage.append(covered / (vm.height * vm.width))
    frames = len(per_frame)
    timed = None not in seconds and sum(seconds) > 0
    return {
        "source": source, "videos": len(videos), "frames": frames, "masklets": len(lengths),
        "masklets_per_frame": {"mean": round(float(np.mean(per_frame)), 2),
                               "median": float(np.median(per_frame)),
                               "max": int(np.max(per_frame))},
        "frames_per_masklet": round(float(np.mean(lengths)), 2) if lengths else 0.0,
        "coverage": round(float(np.mean(coverage)), 4),
        "seconds": round(sum(seconds), 3) if timed else None,
        "fps": round(frames / sum(seconds), 3) if timed else None,
    }
