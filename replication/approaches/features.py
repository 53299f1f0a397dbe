"""Per-masklet feature vectors for approach 2: masked average pooling of an encoder's features.

An encoder maps an RGB frame to a (C, h, w) feature map covering the whole frame:
`sam2` is SAM2's image encoder (the paper's setting: class-agnostic features), `baseline` the
last decoder features of a trained baseline (the ablation: features trained for the classes).
Each mask is area-downsampled to the feature grid (its weight in every feature cell), and one
matrix product pools all masks of a frame. A masklet's vector is the area-weighted mean over its
frames (`per="masklet"`) or one vector per frame it is present in (`per="frame"`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from replication.core.errors import InputError
from replication.masks.store import VideoMasklets

PER = ("masklet", "frame")


def pool(features, masks: np.ndarray):
    """Masked sums (n, C) of a (C, h, w) feature map over boolean masks (n, H, W), and the masks'
    weights (n,): sums / weights is each mask's average feature."""
    import torch
    import torch.nn.functional as F

    c, h, w = features.shape
    weights = F.interpolate(torch.from_numpy(masks)[:, None].float(), size=(h, w), mode="area")
    weights = weights.reshape(len(masks), h * w).to(features)
    return weights @ features.reshape(c, h * w).T, weights.sum(1)


def frame_pools(vm: VideoMasklets, images, encoder):
    """Per frame with masklets: `(t, ids, sums, weights)`, the masked sums (n, C) and weights
    (n,) (float32 tensors) of the masklets `ids` present at frame t; `images` yields the
    video's RGB frames in order (each encoded once)."""
    import torch

    for t, image in enumerate(images):
        ids, masks = vm.at_frame(t)
        if not len(ids):
            continue
        with torch.inference_mode():
            sums, weights = pool(encoder(image), masks)
        yield t, ids, sums, weights


def aggregate(pools, masklets: int, per: str = "masklet"):
    """Feature vectors from frame pools (as `frame_pools` yields them) of a video with
    `masklets` masklets: `(ids, frames, vectors)` where `ids` index the masklets, `frames` is
    the frame of each vector (-1 for a whole masklet) and `vectors` is float32 (m, C): per
    frame the pool's mean, per masklet the area-weighted mean over its frames."""
    import torch

    if per not in PER:
        raise InputError(f"per must be one of {PER}, got {per!r}")
    sums, weights, rows = None, None, []
    for t, ids, s, w in pools:
        if per == "frame":
            rows += [(i, t, v) for i, v in zip(ids, (s / w[:, None]).numpy())]
            continue
        if sums is None:
            sums = torch.zeros(masklets, s.shape[1])
            weights = torch.zeros(masklets)
        sums[ids] += s
        weights[ids] += w
    if per == "masklet" and sums is not None:
        seen = torch.nonzero(weights > 0)[:, 0]
        rows = [(int(i), -1, v) for i, v in zip(seen, (sums[seen] / weights[seen, None]).numpy())]
    if not rows:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros((0, 0), np.float32)
    ids, frames, vectors = zip(*rows)
    return np.array(ids), np.array(frames), np.stack(vectors).astype(np.float32)


def masklet_features(vm: VideoMasklets, images, encoder, per: str = "masklet"):
    """`aggregate` of the frame pools of `encoder` over a video's `images`."""
    return aggregate(frame_pools(vm, images, encoder), len(vm.masklets), per)


def video_features(encoder, vm: VideoMasklets, masks_dir: Path, split: str, video,
                   per: str = "masklet", images=None):
    """`masklet_features` of a dataset video: its frames (`images`, else read) encoded now, or
    the pools of a `vss features` folder (an encoder with `pools`: approaches.pooled)."""
    from replication.data.images import read_image

    if hasattr(encoder, "pools"):
        return aggregate(encoder.pools(vm, masks_dir, split, video), len(vm.masklets), per)
    if images is None:
        images = (read_image(f.image) for f in video.frames)
    return masklet_features(vm, images, encoder, per)


class SAM2Encoder:
    """SAM2's image embedding (256 x 64 x 64 for the 1024 x 1024 input it resizes every frame
    to), through the sam2 package's image predictor on our loaded model."""

    kind = "sam2"

    def __init__(self, config: str, checkpoint: Path, device: str = "auto",
                 name: str | None = None):
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        from replication.masks.sam2.loading import load_sam2

        self.spec = self.describe(config, checkpoint, name)
        self.name = self.spec["name"]
        self.predictor = SAM2ImagePredictor(load_sam2(config, checkpoint, device))

    @classmethod
    def describe(cls, config: str, checkpoint: Path, name: str | None = None) -> dict:
        """What the encoder of a config and checkpoint is (its `spec`), without loading it."""
        return {"features": cls.kind, "name": name or Path(checkpoint).stem, "config": config,
                "checkpoint": str(checkpoint)}

    def __call__(self, image: np.ndarray):
        self.predictor.set_image(image)
        return self.predictor.get_image_embedding()[0].float().cpu()

    def estimate(self, videos: list, device: str = "auto") -> tuple[float, str]:
        """Seconds the features of `videos` would take (one frame's encoding timed, after a
        first one that warms up), and how that was measured."""
        import time

        from replication.data.images import read_image

        image = read_image(videos[0].frames[0].image)
        self(image)
        start = time.perf_counter()
        self(image)
        each = time.perf_counter() - start
        frames = sum(len(v.frames) for v in videos)
        return frames * each, f"{each:.1f} s per frame's encoding, {frames} frames"


class BaselineEncoder:
    """The input of a trained baseline's classification layer (`decode_head.conv_seg`): its last
    decoder features, cropped to the frame (the model pads frames to a multiple of 32)."""

    kind = "baseline"

    def __init__(self, checkpoint: Path, num_classes: int, device: str = "auto"):
        from baselines.predict import decoder_features, load_model

        checkpoint = Path(checkpoint)
        self.name = checkpoint.name if checkpoint.is_dir() else checkpoint.stem
        self.spec = {"features": self.kind, "name": self.name, "checkpoint": str(checkpoint)}
        self.model, self.cfg, self.dev = load_model(checkpoint, num_classes, device=device)
        self._features = decoder_features

    def __call__(self, image: np.ndarray):
        return self._features(self.model, self.cfg, image, self.dev).float().cpu()


def make_encoder(features: str, num_classes: int, *, checkpoint: Path | None = None,
                 sam2_record: Path | None = None, sam2_config: str | None = None,
                 sam2_checkpoint: Path | None = None, device: str = "auto"):
    """The encoder of `features` (`baseline`: a trained baseline's `checkpoint`; `sam2`: the
    model a `vss sam2-checkpoint` record names, or a config and checkpoint given directly)."""
    from replication.core.errors import SettingsError
    from replication.masks.sam2.loading import DEFAULT_CONFIG, checkpoint_from_record

    if features == "sam2":
        name = None
        if sam2_record is not None:
            sam2_config, sam2_checkpoint = checkpoint_from_record(sam2_record)
            name = Path(sam2_record).stem
        if sam2_checkpoint is None:
            raise SettingsError("--features sam2 needs --sam2-record or --sam2-checkpoint")
        return SAM2Encoder(sam2_config or DEFAULT_CONFIG, sam2_checkpoint, device, name)
    if features != "baseline":
        raise SettingsError(f"--features {features!r}: one of sam2, baseline")
    if checkpoint is None:
        raise SettingsError("--features baseline needs the baseline's --checkpoint")
    return BaselineEncoder(checkpoint, num_classes, device)
