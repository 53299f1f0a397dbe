"""SAM2 features once: the image encoder runs once per video and model, pooled for every source.

`vss features` encodes each frame of a video once and pools the features under the masklets of
every masks source that a classifier uses (replication.approaches.features.frame_pools), on
the executor as `vss masks` does (`--executor ray`). Stored per source, split and video:

    <out>/<source>/<split>/<video>.npz
        frame, masklet  (m,) int32: the frame and masklet of each pool (the frames in order)
        sums            (m, C) float32: masked sums of the features
        weights         (m,) float32: the mask's weight on the feature grid
        masklets, frames  the masks file's counts (checked when read)
        encode_seconds  the video's encoding (shared by the sources), pool_seconds this source's

Full feature maps are never stored (SAM2's 256 x 64 x 64 float32 map is 4 MB a frame); a
(masklet, frame) pool is 1 KB. `FeatureStore` gives the pools back as the classifier reads
them, so its vectors equal those of encoding the frames again (`masklet_features`), bit for
bit. Videos already stored from the same encoder and masklet file are skipped (an interrupted
run resumes).
"""
from __future__ import annotations

import functools
import io
import time
from pathlib import Path

import numpy as np

from replication.core.atomic import atomic_path, check_not_input, check_ours
from replication.core.errors import InputError, MissingInput
from replication.core.executor import Executor, run
from replication.core.records import read_record, write_record
from replication.data.dataset import Dataset, split_videos
from replication.data.images import read_image
from replication.masks.store import VideoMasklets, load_for_video, masklet_path

RECORD_KIND = "features"


def pooled_path(out_dir: Path, source: str, split: str, video: str) -> Path:
    return Path(out_dir) / source / split / f"{video}.npz"


def pending(spec: dict, dataset: Dataset, splits: list[str], masks: dict[str, Path],
            out_dir: Path) -> list[tuple[str, object]]:
    """The (split, video) pairs of `splits` not yet stored for every source of `masks` from the
    encoder `spec` and the video's masklet file, longest first."""
    todo = [(split, video) for split, video in split_videos(dataset, splits)
            if not all(_done(pooled_path(out_dir, s, split, video.name),
                             _identity(spec, f, split, video)) for s, f in masks.items())]
    return sorted(todo, key=lambda sv: -len(sv[1].frames))


def store_features(make_encoder, spec: dict, dataset: Dataset, todo: list, splits: list[str],
                   masks: dict[str, Path], out_dir: Path, *,
                   executor: Executor | None = None) -> dict:
    """Pool the features of `make_encoder()` (an encoder, built once per worker; `spec` says
    what it is) under the masklets of every source of `masks` ({source: masks folder}) for the
    videos `todo` (`pending`) of `splits`; returns what was made and the videos that failed."""
    out_dir = Path(out_dir)
    check_not_input([out_dir], [dataset.root, *masks.values()])
    check_ours(out_dir)
    if executor is not None:
        executor.connect()
    write_record(out_dir, RECORD_KIND, dataset=dataset.name, encoder=spec,
                 sources=sorted(masks), splits=list(splits))
    jobs = [(dataset, split, video, masks) for split, video in todo]
    outcome = run(jobs, make_encoder, _pools, functools.partial(_save, out_dir, spec),
                  executor or Executor(), desc=f"features {spec.get('name')}",
                  name=lambda job: f"{job[1]}/{job[2].name}")
    return {"made": outcome.done, "failed": outcome.failed}


def _pools(encoder, job: tuple) -> dict:
    """One video: each frame encoded once, pooled under every source's masklets."""
    import torch

    from replication.approaches.features import pool

    dataset, split, video, masks = job
    vms = {name: load_for_video(folder, split, video) for name, folder in masks.items()}
    rows = {name: [] for name in masks}
    encode, pooling = 0.0, dict.fromkeys(masks, 0.0)
    for t, frame in enumerate(video.frames):
        present = {name: vm.at_frame(t) for name, vm in vms.items()}
        if not any(len(ids) for ids, _ in present.values()):
            continue
        start = time.perf_counter()
        with torch.inference_mode():
            features = encoder(read_image(frame.image))
        encode += time.perf_counter() - start
        for name, (ids, masked) in present.items():
            if len(ids):
                start = time.perf_counter()
                with torch.inference_mode():
                    sums, weights = pool(features, masked)
                pooling[name] += time.perf_counter() - start
                rows[name].append((t, ids, sums.numpy(), weights.numpy()))
    return {name: _arrays(rows[name], vms[name], encode, pooling[name]) for name in masks}


def _arrays(rows: list, vm: VideoMasklets, encode: float, pooling: float) -> dict:
    dim = rows[0][2].shape[1] if rows else 0
    return {
        "frame": np.concatenate([np.full(len(ids), t, np.int32) for t, ids, _, _ in rows]
                                or [np.zeros(0, np.int32)]),
        "masklet": np.concatenate([np.asarray(ids, np.int32) for _, ids, _, _ in rows]
                                  or [np.zeros(0, np.int32)]),
        "sums": np.concatenate([s for _, _, s, _ in rows] or [np.zeros((0, dim), np.float32)]),
        "weights": np.concatenate([w for _, _, _, w in rows] or [np.zeros(0, np.float32)]),
        "masklets": np.array(len(vm.masklets)), "frames": np.array(len(vm.frames)),
        "encode_seconds": np.array(round(encode, 3)), "pool_seconds": np.array(round(pooling, 3)),
    }


def _save(out_dir: Path, spec: dict, job: tuple, pools: dict) -> None:
    _, split, video, masks = job
    for name, arrays in pools.items():
        buffer = io.BytesIO()
        np.savez(buffer, **arrays, identity=np.array(_identity(spec, masks[name], split, video)))
        with atomic_path(pooled_path(out_dir, name, split, video.name)) as tmp:
            tmp.write_bytes(buffer.getvalue())


def _identity(spec: dict, masks_dir: Path, split: str, video) -> str:
    """What a stored file is made from: the encoder, and the masklet file (its source's
    settings, its size and time: a re-made file is pooled again)."""
    import json

    path = masklet_path(masks_dir, split, video.name)
    stat = path.stat() if path.is_file() else None
    return json.dumps({"encoder": spec, "masks": (read_record(masks_dir) or {}).get("settings"),
                       "file": [stat.st_size, stat.st_mtime_ns] if stat else None},
                      sort_keys=True)


def _done(path: Path, identity: str) -> bool:
    try:
        with np.load(path, allow_pickle=False) as data:
            return str(data["identity"]) == identity
    except (OSError, ValueError, KeyError):
        return False


class FeatureStore:
    """The stored pools of a `vss features` folder, read as the classifier reads an encoder's:
    `kind`, `name` and `spec` are the encoder's; `pools(vm, masks_dir, split, video)` gives
    `frame_pools`'s frames, and `seconds(...)` the time they took to make."""

    def __init__(self, folder: Path, kind: str = "sam2"):
        self.folder = Path(folder)
        record = read_record(self.folder)
        if record is None or record.get("kind") != RECORD_KIND:
            raise MissingInput(f"{self.folder}: not a features folder (no record of "
                               "`vss features`); run its stage (`dvc repro features-sam2`)")
        self.spec = record["encoder"]
        self.kind, self.name = self.spec["features"], self.spec["name"]
        if self.kind != kind:
            raise InputError(f"{self.folder}: holds {self.kind} features, not {kind}")

    def _load(self, vm: VideoMasklets, masks_dir: Path, split: str, video) -> dict:
        path = pooled_path(self.folder, Path(masks_dir).name, split, video.name)
        if not path.is_file():
            raise MissingInput(f"{path}: no stored features of this video; run `vss features` "
                               f"with --masks {Path(masks_dir).parent} over split {split}")
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        if (int(arrays["masklets"]), int(arrays["frames"])) != (len(vm.masklets),
                                                                len(vm.frames)):
            raise InputError(f"{path}: pooled from {int(arrays['masklets'])} masklets over "
                             f"{int(arrays['frames'])} frames, but {vm.path} has "
                             f"{len(vm.masklets)} over {len(vm.frames)}; the masks changed "
                             "since: re-run `vss features`")
        return arrays

    def pools(self, vm: VideoMasklets, masks_dir: Path, split: str, video):
        import torch

        arrays = self._load(vm, masks_dir, split, video)
        frame = arrays["frame"]
        bounds = np.flatnonzero(np.diff(frame)) + 1
        for part in np.split(np.arange(len(frame)), bounds) if len(frame) else []:
            yield (int(frame[part[0]]), arrays["masklet"][part].astype(np.intp),
                   torch.from_numpy(arrays["sums"][part]),
                   torch.from_numpy(arrays["weights"][part]))

    def seconds(self, vm: VideoMasklets, masks_dir: Path, split: str, video) -> float:
        """The video's encoding and this source's pooling, as `vss features` measured them."""
        arrays = self._load(vm, masks_dir, split, video)
        return float(arrays["encode_seconds"]) + float(arrays["pool_seconds"])
