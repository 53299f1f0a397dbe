"""SAM2 masklets: automatic masks on each window's first frame, tracked through the window.

Per window of `window` frames: SAM2's automatic mask generator prompts a `points_per_side`^2
grid on the first frame (thresholds from params), then the video predictor (`init_state`,
`add_new_mask`, `propagate_in_video`) tracks every mask through the window (all masks as one
batch), its frames handed over in memory (`frames_in_memory`) and the first frame's embedding
taken from the mask generator (`image_encoder_output`); bfloat16 autocast on CUDA. With
`new_objects` (off by default: the paper's setting), objects that appear inside a window join
the tracking where they are found (`NewObjects`); with `sam1`, SAM1's generator proposes the
masks instead (replication.masks.sam2.sam1). A window's frames are the only ones decoded, and
SAM2 keeps them (and, optionally, its tracking state) in CPU memory. Uses the real `sam2`
package (PyPI `sam2==1.1.0`, an unofficial upload of Meta's code) with a config of that package
and a checkpoint file; it never runs without one (see `load_sam2`).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from replication.core.errors import SettingsError
from replication.core.settings import Settings, from_flags, key, setting
from replication.data.dataset import Dataset
from replication.data.images import read_image
from replication.data.video import Video
from replication.masks.base import GENERATE_KEYS, Context, Windowed
from replication.masks.linking import pairwise_iou
from replication.masks.sam2.loading import DEFAULT_CONFIG, checkpoint_from_record, load_sam2
from replication.masks.sam2.sam1 import SAM1Proposals, load_sam1
from replication.masks.store import Masklet, VideoMasklets, encode

MEASURED = 3  # frames `estimate` tracks, and objects it tracks through them


@contextmanager
def image_encoder_output(model, reuse: dict | None = None):
    """Without `reuse`: keep what the model's image encoder computes inside the block (the
    automatic mask generator encodes a window's first frame): {"features": forward_image's
    output}. With one kept that way: its first encoding inside the block is that output, not
    computed again (the video predictor's init_state encodes the first frame too)."""
    kept = {} if reuse is None else dict(reuse)
    encode = model.forward_image

    def forward_image(image):
        if reuse is not None and "features" in kept:
            return kept.pop("features")
        kept["features"] = encode(image)
        return kept["features"]

    model.forward_image = forward_image
    try:
        yield kept
    finally:
        del model.forward_image  # the class's method again


@contextmanager
def frames_in_memory(images: list[np.ndarray]):
    """Let the video predictor's `init_state` take these RGB frames as they are: the sam2
    package only reads a JPEG folder or an mp4, which would re-encode every frame (lossy) and
    decode it again. The frames are prepared as its JPEG loader prepares them: resized to the
    model's square input size with PIL, scaled to [0, 1], normalised with ImageNet's mean and
    std, on the model's device."""
    import sam2.sam2_video_predictor as video_predictor
    import torch

    original = video_predictor.load_video_frames

    def load(video_path, image_size, offload_video_to_cpu, img_mean=(0.485, 0.456, 0.406),
             img_std=(0.229, 0.224, 0.225), async_loading_frames=False,
             compute_device=torch.device("cpu")):
        frames = np.stack([np.asarray(Image.fromarray(image).resize((image_size, image_size)))
                           for image in images])
        tensor = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0
        if not offload_video_to_cpu:
            tensor = tensor.to(compute_device)
        mean = torch.tensor(img_mean, device=tensor.device)[:, None, None]
        std = torch.tensor(img_std, device=tensor.device)[:, None, None]
        return (tensor - mean) / std, images[0].shape[0], images[0].shape[1]

    video_predictor.load_video_frames = load
    try:
        yield
    finally:
        video_predictor.load_video_frames = original


@dataclass(frozen=True)
class NewObjects(Settings):
    """Objects that appear inside a window (AutoSeg-SAM2's rule, with DiTTA's cap): every
    `every` frames of a window the automatic mask generator runs on that frame, and each of
    its masks, best predicted IoU first, joins the tracking from that frame when at least
    `min_area` of its pixels lie outside every tracked mask there and its IoU with each tracked
    mask (those it joins included) is below `max_overlap`, while the window tracks fewer than
    `max_objects`. SAM2 1.1's video predictor takes objects after tracking has started; the
    window's propagation runs on from that frame with them."""

    every: int = setting(10, "frames between generator runs inside a window", min=1)
    min_area: int = setting(5000, "px of a new mask outside every tracked mask", min=1)
    max_overlap: float = setting(0.7, "a new mask's IoU with each tracked mask stays below "
                                 "this", above=0, max=1)
    max_objects: int = setting(100, "objects a window tracks, at most", min=1)


@dataclass
class SAM2Source(Windowed):
    """SAM2's automatic masks on each window's first frame, tracked through the window (the
    module docstring); the checkpoint is given, or comes from `model`'s checkpoint record."""

    config: str = setting(DEFAULT_CONFIG, "a model config of the sam2 package",
                          flag="sam2-config")
    checkpoint: Path | None = setting(None, "a SAM2 checkpoint file (default: the one `model`'s "
                                      "record names)", flag="sam2-checkpoint")
    window: int = setting(32, "frames per window: masks on its first frame, tracked through "
                          "it", min=1)
    points_per_side: int = setting(16, "the automatic mask generator's prompt grid", min=1)
    pred_iou_thresh: float = setting(0.6, "masks below this predicted IoU are dropped", min=0,
                                     max=1)
    stability_score_thresh: float = setting(0.8, "masks below this stability are dropped",
                                            min=0, max=1)
    stability_score_offset: float = setting(0.9, "logit offset of the stability score", min=0)
    max_masklets: int | None = setting(None, "keep the best N per window (fixed counts for FPS "
                                       "runs)", min=1)
    box_nms_thresh: float = setting(0.7, "the generator's box NMS IoU (1.0: none, to force "
                                    "counts)", min=0, max=1)
    vos_optimized: bool = setting(False, "SAM2's compiled video predictor (CUDA; slow first "
                                  "video)")
    image_size: int | None = setting(None, "SAM2's input size in px (null: its config's, 1024; "
                                     "smaller is faster and coarser)", min=64)
    offload_video: bool = setting(True, "keep a window's frames in CPU memory "
                                  "(offload_video_to_cpu: less GPU memory, little cost)")
    offload_state: bool = setting(False, "keep the tracking state in CPU memory "
                                  "(offload_state_to_cpu: less GPU memory, some fps)")
    new_objects: NewObjects | None = setting(
        None, "objects found inside a window join the tracking: {every, min-area, "
        "max-overlap, max-objects} (NewObjects; null: off)", flag=False)
    sam1: SAM1Proposals | None = setting(
        None, "proposals from SAM1's automatic mask generator: {checkpoint, model} "
        "(SAM1Proposals; null: SAM2's own)", flag=False)
    model: str | None = setting(None, "an entry of `sam2:` in params, whose checkpoint record "
                                "(results/sam2/<model>.json) gives config and checkpoint")
    device: str = setting("auto", flag=False)
    name: ClassVar[str] = "sam2"
    _not_settings: ClassVar[tuple[str, ...]] = ("device", "model", "offload_video",
                                                "offload_state")  # same masks either way
    _omit_none: ClassVar[tuple[str, ...]] = (*Windowed._omit_none, "image_size", "new_objects",
                                             "sam1")
    _predictor: object = field(default=None, repr=False)
    _sam1: object = field(default=None, repr=False)
    _sha256: str | None = field(default=None, repr=False)

    def validate(self) -> None:
        if self.checkpoint is None:
            self.reject("checkpoint", "a file; or name `model`, an entry of `sam2:` whose "
                        "checkpoint record gives it")
        self.checkpoint = Path(self.checkpoint)
        if self.image_size is not None and self.image_size % 16:
            self.reject("image_size", "a multiple of 16 (SAM2's feature stride), or null")
        for name, cls, keys in (("new_objects", NewObjects, "every, min-area, max-overlap, "
                                 "max-objects"), ("sam1", SAM1Proposals, "checkpoint, model")):
            value = getattr(self, name)
            if isinstance(value, dict):  # from params
                setattr(self, name, from_flags(cls, value, key(name)))
            elif value is not None and not isinstance(value, cls):
                self.reject(name, f"a mapping {{{keys}}}, or null")

    @classmethod
    def from_params(cls, flags: dict, *, where: str = "", context: Context = Context()):
        """With `model` and no `checkpoint`, config and checkpoint come from the model's record
        (MissingCheckpoint, with its reason, when the record says there is none)."""
        flags = dict(flags)
        if flags.get("model") and not flags.get("checkpoint"):
            config, checkpoint = checkpoint_from_record(
                Path(context.sam2_records) / f"{flags['model']}.json")
            flags.update(config=config, checkpoint=checkpoint)
        return from_flags(cls, flags, where, device=context.device)

    @classmethod
    def check_entry(cls, entry: dict, where: str, models: dict) -> None:
        if entry.get("model") is not None and entry["model"] not in models:
            raise SettingsError(f"{where}.model: {entry['model']!r} is not an entry of `sam2:` "
                                f"(there: {sorted(models)})")
        flags = {k: v for k, v in entry.items() if k not in ("source", *GENERATE_KEYS)}
        from_flags(cls, {**flags, "checkpoint": flags.get("checkpoint") or "its record's"}, where)

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        self.load()
        generator = self._generator()
        first = read_image(video.frames[0].image)
        vm = VideoMasklets(video.name, [f.stem for f in video.frames], *first.shape[:2],
                           self.name)
        with self._inference():
            for start in range(0, len(video.frames), self.window):
                images = [read_image(f.image) for f in video.frames[start:start + self.window]]
                self._track_window(vm, start, images, generator)
        return vm

    def estimate(self, videos: list[Video], dataset: Dataset) -> tuple[float, str]:
        """Seconds the masklets of `videos` would take here, and how that was measured: the
        automatic masks of the first video's first frame are timed, and the tracking of at
        most MEASURED of them through its next frames; a tracked frame costs about the same for
        each object (only the image features are shared), so its time scales to every masklet
        found, and to every window and frame of `videos` (an upper bound: it counts the shared
        image encoding once per object)."""
        import math
        import time

        self.load()
        video = videos[0]
        images = [read_image(f.image) for f in video.frames[:min(MEASURED, len(video.frames))]]
        with self._inference():
            began = time.perf_counter()
            found, first = self._propose(images[0], self._generator(), self.max_masklets)
            generate = time.perf_counter() - began
            tracked = found[:MEASURED]
            per_frame = 0.0
            if tracked:
                vm = VideoMasklets(video.name, [f.stem for f in video.frames[:len(images)]],
                                   *images[0].shape[:2], self.name)
                began = time.perf_counter()
                self._track(vm, 0, images, tracked, first)
                per_frame = (time.perf_counter() - began) / len(images) * len(found) / len(
                    tracked)
        frames = sum(len(v.frames) for v in videos)
        windows = sum(math.ceil(len(v.frames) / self.window) for v in videos)
        how = (f"timed on {video.name}: {generate:.1f} s for a window's {len(found)} automatic "
               f"masks, {per_frame:.1f} s per frame to track them, for {frames} frames in "
               f"{windows} windows")
        return windows * generate + frames * per_frame, how

    def _inference(self):
        """No gradients; bfloat16 autocast on CUDA, as SAM2's own video demo runs (float32 on
        the CPU)."""
        import contextlib

        import torch

        device = self._predictor.device
        stack = contextlib.ExitStack()
        stack.enter_context(torch.inference_mode())
        stack.enter_context(torch.autocast(device.type, dtype=torch.bfloat16,
                                           enabled=device.type == "cuda"))
        return stack

    def settings(self) -> dict:
        """What determines the masklets, the checkpoints by their sha256 (so another file at
        the same path redoes the videos)."""
        from replication.core.hashing import sha256_file

        if self._sha256 is None:
            if not Path(self.checkpoint).is_file() or (
                    self.sam1 is not None and not Path(self.sam1.checkpoint).is_file()):
                self.load()  # raises MissingCheckpoint, with the reason
            self._sha256 = sha256_file(self.checkpoint)
        out = {**super().settings(), "checkpoint": self._sha256}
        if self.sam1 is not None:
            out["sam1"]["checkpoint"] = sha256_file(self.sam1.checkpoint)
        return out

    def load(self) -> "SAM2Source":
        """Load the model (and SAM1, with `sam1`) now, else on the first video."""
        if self._predictor is None:
            self._predictor = load_sam2(self.config, self.checkpoint, self.device,
                                        vos_optimized=self.vos_optimized,
                                        image_size=self.image_size)
        if self.sam1 is not None and self._sam1 is None:
            self._sam1 = load_sam1(self.sam1, self._predictor.device)
        return self

    def _generator(self):
        """The automatic mask generator of the proposals: SAM2's, or SAM1's with `sam1`."""
        thresholds = dict(points_per_side=self.points_per_side,
                          pred_iou_thresh=self.pred_iou_thresh,
                          stability_score_thresh=self.stability_score_thresh,
                          stability_score_offset=self.stability_score_offset,
                          box_nms_thresh=self.box_nms_thresh)
        if self._sam1 is not None:
            from segment_anything import SamAutomaticMaskGenerator

            return SamAutomaticMaskGenerator(self._sam1, **thresholds)
        from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

        generator = SAM2AutomaticMaskGenerator(self._predictor, **thresholds)
        size = self._predictor.image_size  # sam2 1.1's image predictor assumes 1024's maps
        generator.predictor._bb_feat_sizes = [(size // k, size // k) for k in (4, 8, 16)]
        return generator

    def _track_window(self, vm: VideoMasklets, start: int, images: list[np.ndarray],
                      generator) -> None:
        found, first = self._propose(images[0], generator, self.max_masklets)
        if found or self.new_objects is not None:
            self._track(vm, start, images, found, first, generator)

    def _propose(self, image: np.ndarray, generator, limit: int | None = None
                 ) -> tuple[list[dict], dict]:
        """The automatic masks of a frame, best first (at most `limit`), and SAM2's encoding of
        the frame (for the tracker to reuse; none with SAM1's generator)."""
        with image_encoder_output(self._predictor) as encoded:
            found = sorted(generator.generate(image), key=lambda m: -m["predicted_iou"])
        return found[:limit], encoded

    def _track(self, vm: VideoMasklets, start: int, images: list[np.ndarray],
               found: list[dict], first: dict, generator=None) -> None:
        """Track the masks `found` on the first of `images` through them, as masklets of `vm`
        from its frame `start`; with `new_objects` (and the `generator`), in runs of its
        `every` frames, the masks that qualify on each run's first frame joining there. Each
        frame is encoded once: a run's first frame by the generator, for the tracker too."""
        # init_state encodes (and caches) the first frame: it takes the generator's encoding
        with frames_in_memory(images), image_encoder_output(self._predictor, first):
            state = self._predictor.init_state(video_path="<frames in memory>",
                                               offload_video_to_cpu=self.offload_video,
                                               offload_state_to_cpu=self.offload_state)
        objects: list[dict] = []  # the generator's masks being tracked, by object id
        rles: list[list] = []
        current: dict[int, np.ndarray] = {}  # object id -> its mask on the last frame tracked
        new = self.new_objects if generator is not None else None
        step = new.every if new is not None else len(images)
        encoded: dict = {}  # run 0: init_state took the first frame's encoding
        for run in range(0, len(images), step):
            joining = found
            if run > 0:
                proposed, encoded = self._propose(images[run], generator)
                joining = untracked(proposed, list(current.values()), new,
                                    new.max_objects - len(objects))
            # the run's first frame is encoded next (by add_new_mask or the propagation)
            with image_encoder_output(self._predictor, encoded):
                for mask in joining:
                    self._predictor.add_new_mask(state, frame_idx=run, obj_id=len(objects),
                                                 mask=mask["segmentation"])
                    objects.append(mask)
                    rles.append([None] * len(vm.frames))
                if not objects:
                    continue
                for t, obj_ids, logits in self._predictor.propagate_in_video(
                        state, start_frame_idx=run, max_frame_num_to_track=step - 1):
                    masks = (logits[:, 0] > 0).cpu().numpy()
                    for i, (obj_id, rle) in enumerate(zip(obj_ids, encode(masks))):
                        current[obj_id] = masks[i]
                        if masks[i].any():
                            rles[obj_id][start + t] = rle
        self._predictor.reset_state(state)
        for mask, rle in zip(objects, rles):
            vm.masklets.append(Masklet(len(vm.masklets), float(mask["predicted_iou"]), rle))


def untracked(proposed: list[dict], tracked: list[np.ndarray], rule: NewObjects,
              room: int) -> list[dict]:
    """The masks of `proposed` (best first) that join the tracking under `rule`
    (NewObjects), at most `room` of them."""
    covered = np.any(tracked, axis=0) if tracked else None
    kept: list[np.ndarray] = list(tracked)
    joining = []
    for mask in proposed:
        if len(joining) >= room:
            break
        m = mask["segmentation"].astype(bool)
        outside = m if covered is None else m & ~covered
        if outside.sum() < rule.min_area:
            continue
        if kept and pairwise_iou(m[None], np.stack(kept)).max() >= rule.max_overlap:
            continue
        joining.append(mask)
        kept.append(m)
    return joining
