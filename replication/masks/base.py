"""What a masklet source is, and the registry that finds one by name.

A source turns one video into `VideoMasklets` (replication.masks.store) and says which settings
determine them (`settings()`: a masklet file made with other settings is made again). The
built-in sources are settings dataclasses (`Source`), built from a `masks:` entry of params or
from `vss masks` flags; `SOURCES` maps each name to its class ("module:Class", imported when
used), and supplies the CLI's choices, the params check and the factory. Adding a source is one
module and one line here (docs/extending.md).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from replication.core.errors import SettingsError
from replication.core.settings import Settings, fields_of, from_flags, key, setting
from replication.data.dataset import Dataset
from replication.data.video import Video
from replication.masks.store import Masklet, VideoMasklets

SOURCES: dict[str, str | type] = {
    "oracle": "replication.masks.oracle:Oracle",
    "superpixel": "replication.masks.superpixel:Superpixel",
    "superpixel-flow": "replication.masks.superpixel_flow:SuperpixelFlow",
    "sam2": "replication.masks.sam2.source:SAM2Source",
    "degraded": "replication.masks.degraded:Degraded",
}
GENERATE_KEYS = ("workers",)  # keys of a `masks:` entry that say how to run, not what to make


class MaskSource(Protocol):
    """A masklet source: `masklets(video, dataset)` and the settings that determine them; it may
    also have `load()` (load its model once, e.g. in each worker)."""

    name: str

    def settings(self) -> dict: ...

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets: ...


@dataclass(frozen=True)
class Context:
    """What a source may need beyond its own settings."""

    sam2_records: Path = Path("results/sam2")  # records of `vss sam2-checkpoint`, by model
    device: str = "auto"


class Source(Settings):
    """Base of the built-in sources: settings dataclasses whose fields (less `device` and the
    others of `_not_settings`, which do not change what they make, and those of `_omit_none`
    while None: settings added later, so files made before them stay valid) are their
    `settings()`; a nested settings object as a mapping of its keys."""

    name: ClassVar[str]
    _not_settings: ClassVar[tuple[str, ...]] = ("device",)
    _omit_none: ClassVar[tuple[str, ...]] = ()

    def settings(self) -> dict:
        out = {}
        for f in fields_of(self):
            value = getattr(self, f.name)
            if f.name in self._not_settings or (value is None and f.name in self._omit_none):
                continue
            out[f.name] = _plain(value)
        return out

    @classmethod
    def from_params(cls, flags: dict, *, where: str = "", context: Context = Context()):
        """The source from a `masks:` entry (less `source`) or flags."""
        return from_flags(cls, flags, where)

    @classmethod
    def check_entry(cls, entry: dict, where: str, models: dict) -> None:
        """Check a `masks:` entry's settings (`models`: the `sam2:` entries) without loading
        anything."""
        workers = entry.get("workers", 1)
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise SettingsError(f"{where}.workers: {workers!r} is not allowed; it must be an "
                                "integer >= 1 (processes, one video each)")
        from_flags(cls, {k: v for k, v in entry.items()
                         if k not in ("source", *GENERATE_KEYS)}, where)


@dataclass
class Windowed(Source):
    """Base of the sources that link masklets through time within windows of `window` frames
    (each subclass's setting): the runner (replication.masks.generate) continues them across
    window boundaries when `across_windows` is set (replication.masks.linking)."""

    across_windows: float | None = setting(
        None, "link masklets across window boundaries: one that ends on a window's last frame "
        "continues as one that starts on the next window's first frame when their masks match "
        "one to one at IoU >= this (null: off)", above=0, max=1, kw_only=True)
    _omit_none: ClassVar[tuple[str, ...]] = ("across_windows",)


def _plain(value):
    """A setting's value as a masklet file records it."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Settings):
        return {key(f.name): _plain(getattr(value, f.name)) for f in fields_of(value)}
    return value


def register(name: str, target: str | type) -> None:
    """Add (or replace) a source: a class, or "module:Class" imported when first used."""
    SOURCES[name] = target


def source_class(name: str) -> type:
    if name not in SOURCES:
        raise SettingsError(f"masks source {name!r} is unknown; known: {sorted(SOURCES)}")
    target = SOURCES[name]
    if isinstance(target, str):
        module, attr = target.split(":")
        target = SOURCES[name] = getattr(importlib.import_module(module), attr)
    return target


def make_source(entry: dict, *, where: str = "masks", context: Context = Context()):
    """The source of a `masks:` entry of params (`source` plus its settings; `workers` and the
    other GENERATE_KEYS are left to the caller)."""
    entry = {k: v for k, v in entry.items() if k not in GENERATE_KEYS}
    name = entry.pop("source", None)
    if name is None:
        raise SettingsError(f"{where}: names no `source` (one of {sorted(SOURCES)})")
    return source_class(name).from_params(entry, where=where, context=context)


def settings_fields() -> dict[str, tuple[str, ...]]:
    """Each settings key of any source -> the sources that take it (for the CLI's flags)."""
    out: dict[str, tuple[str, ...]] = {}
    for name in SOURCES:
        for f in fields_of(source_class(name)):
            if f.metadata.get("flag", True) and f.name not in ("device",):
                out[key(f.name)] = out.get(key(f.name), ()) + (name,)
    return out


def empty_masklets(video: Video, dataset: Dataset, source: str) -> VideoMasklets:
    """A video's masklet record with no masklet yet (frame size from its first label or image)."""
    frame = video.frames[0]
    if frame.label is not None:
        h, w = dataset.load_label(frame).shape
    else:
        from replication.data.images import image_size

        h, w = image_size(frame.image)
    return VideoMasklets(video.name, [f.stem for f in video.frames], h, w, source)


def add_masklet(vm: VideoMasklets, rle: list, score: float = 1.0) -> Masklet:
    """Append a masklet (one RLE or None per frame) with the next id."""
    masklet = Masklet(len(vm.masklets), score, rle)
    vm.masklets.append(masklet)
    return masklet
