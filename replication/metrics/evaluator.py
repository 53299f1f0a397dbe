"""Streaming evaluator: every registered metric (replication.metrics.specs) in one pass over the
frames, a video at a time, in memory independent of the frames' number except for the small
per-frame counts kept as the bootstrap's units (sparse; replication.metrics.counts)."""
from __future__ import annotations

import numpy as np

from replication.core.errors import InputError
from replication.data.video import IGNORE
from replication.metrics.specs import MetricSettings, computers


class StreamingEvaluator:
    """Feed videos frame by frame; read pooled and per-video metrics at the end. `settings`
    (or its fields as keywords: boundary_ratio, vc_windows, strict_vc, boundary_sweep) are the
    metrics' settings."""

    def __init__(self, num_classes: int, settings: MetricSettings | None = None, **options):
        if not 1 <= num_classes <= IGNORE:
            raise InputError(f"num_classes must be 1..{IGNORE} (ids 0..N-1 in uint8 label PNGs, "
                             f"{IGNORE} = ignore), got {num_classes}")
        self.num_classes = num_classes
        self.settings = settings if settings is not None else MetricSettings(**options)
        self.computers = computers(num_classes, self.settings)
        self.stems: list[str] = []
        self.frame_video: list[int] = []
        self.videos: list[str] = []
        self.per_video: dict[str, dict] = {}
        self.frames = 0

    def start_video(self, name: str, length: int) -> None:
        self._video, self._length, self._shape = name, length, None
        self.videos.append(name)
        for computer in self.computers:
            computer.start_video(name, length)

    def add_frame(self, gt: np.ndarray, pred: np.ndarray, name: str | None = None) -> None:
        """Score one frame; `name` (its stem) labels its units."""
        if gt.shape != pred.shape:
            raise InputError(f"prediction shape {pred.shape} differs from ground truth "
                             f"{gt.shape}")
        if self._shape is None:
            self._shape = gt.shape
        elif gt.shape != self._shape:
            raise InputError(f"frame size {gt.shape} differs from the video's first frame "
                             f"{self._shape}; all frames of a video must share one size")
        for computer in self.computers:
            computer.add_frame(gt, pred)
        self.stems.append(name if name is not None else str(self.frames))
        self.frame_video.append(len(self.videos) - 1)
        self.frames += 1

    def end_video(self) -> None:
        values = {"frames": self._length}
        for computer in self.computers:
            values.update(computer.end_video())
        self.per_video[self._video] = values

    def summary(self, class_names: tuple[str, ...]) -> dict:
        """Headline metrics, their specs, per-class and per-video values and the units."""
        if len(class_names) != self.num_classes:
            raise InputError(f"{len(class_names)} class names for {self.num_classes} classes")
        specs = [s for c in self.computers for s in c.specs()]
        values, details, units = {}, {"settings": {"num_classes": self.num_classes}}, {}
        for computer in self.computers:
            values.update(computer.values())
            for key, value in computer.details(tuple(class_names)).items():
                if key == "settings":
                    details["settings"].update(value)
                else:
                    details[key] = value
            units.update(computer.units())
        return {
            **{s.name: values[s.name] for s in specs},
            "frames": self.frames,
            "videos": len(self.per_video),
            "metrics": {s.name: s.as_dict() for s in specs},
            **details,
            "per_video": self.per_video,
            "units": {"videos": self.videos,
                      "frames": {"stems": self.stems, "video": self.frame_video},
                      "metrics": units},
        }
