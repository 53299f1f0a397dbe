"""SAM2 masklets: automatic masks on each window's first frame, tracked through the window.

Per window of `window` frames: SAM2's automatic mask generator prompts a `points_per_side`^2
grid on the first frame (thresholds from params), then the video predictor (`init_state`,
`add_new_mask`, `propagate_in_video`) tracks every mask through the window (all masks as one
batch), its frames handed over in memory (`frames_in_memory`) and the first frame's embedding
taken from the mask generator (`image_encoder_output`); bfloat16 autocast on CUDA. Uses the
real `sam2` package (PyPI `sam2==1.1.0`, an unofficial upload of Meta's code) with a config of
that package and a checkpoint file; it never runs without one (see `load_sam2`).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from replication.data.dataset import Dataset
from replication.data.images import read_image
from replication.data.video import Video
from replication.masks.store import Masklet, VideoMasklets, encode
from replication.not_run import Unavailable


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


class MissingCheckpoint(Unavailable):
    """No SAM2 checkpoint: the SAM2 rows are reported as not run, with this reason."""

    def __init__(self, reason: str, fix: str = "supply the SAM2 checkpoint (see the reason), "
                                               "then run `dvc repro` again"):
        super().__init__(reason, fix)


def load_sam2(config: str, checkpoint: Path, device: str = "auto", vos_optimized: bool = False):
    """SAM2 video predictor from a package config (e.g. `configs/sam2.1/sam2.1_hiera_t.yaml`)
    and a checkpoint file (`{"model": state_dict}`, as Meta publishes them), loaded strictly;
    `vos_optimized` builds SAM2's compiled predictor (torch.compile; for CUDA)."""
    state = read_sam2_checkpoint(checkpoint)
    from hydra.errors import MissingConfigException
    from sam2.build_sam import build_sam2_video_predictor

    from replication.device import pick_device

    dev = pick_device(device)
    try:
        predictor = build_sam2_video_predictor(config, None, device=str(dev),
                                               vos_optimized=vos_optimized)
    except MissingConfigException as exc:
        raise ValueError(f"unknown SAM2 config {config!r}; the sam2 package has "
                         f"{sam2_configs()}") from exc
    try:
        predictor.load_state_dict(state)
    except RuntimeError as exc:
        raise ValueError(f"{checkpoint}: does not fit SAM2 config {config} "
                         f"({str(exc).splitlines()[0]} ...); model size and checkpoint must "
                         "match") from exc
    cast_memory_to_query_dtype(predictor)
    return predictor


def read_sam2_checkpoint(checkpoint: Path) -> dict:
    """The state dict of a SAM2 checkpoint file, read without executing anything; a missing file
    raises MissingCheckpoint, anything but `{"model": {name: tensor}}` ValueError."""
    import torch

    from replication.masks.checkpoint import how_to_supply
    from replication.torch_files import load_torch

    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise MissingCheckpoint(
            f"{checkpoint}: SAM2 checkpoint not found. Download the official SAM2.1 weights "
            "(e.g. sam2.1_hiera_tiny.pt from Meta's SAM2 release) to that path, or point "
            "the model's `checkpoint` under `sam2:` in params.yaml at a local copy")
    fix = "use an official SAM2 checkpoint; " + how_to_supply(checkpoint)
    content = load_torch(checkpoint, "SAM2 checkpoint", fix)
    if isinstance(content, dict) and content and all(torch.is_tensor(v)
                                                     for v in content.values()):
        raise ValueError(f"{checkpoint}: a bare state dict; SAM2 checkpoints hold "
                         "{'model': state_dict}: re-save it with "
                         "torch.save({'model': state_dict}, path)")
    model = content.get("model") if isinstance(content, dict) else None
    if not isinstance(model, dict) or not all(torch.is_tensor(v) for v in model.values()):
        keys = sorted(content)[:5] if isinstance(content, dict) else type(content).__name__
        raise ValueError(f"{checkpoint}: not a SAM2 checkpoint (no `model` state dict; holds "
                         f"{keys}); {fix}")
    return model


def sam2_configs() -> list[str]:
    """The model configs the installed sam2 package ships (`configs/<version>/<name>.yaml`)."""
    from importlib import resources

    root = resources.files("sam2") / "configs"
    return sorted(f"configs/{d.name}/{f.name}" for d in root.iterdir() if d.is_dir()
                  and not d.name.endswith("_training") for f in d.iterdir()
                  if f.name.endswith(".yaml"))


def cast_memory_to_query_dtype(predictor) -> None:
    """Fix for sam2 issues #308/#577: the video predictor stores memory features as bfloat16
    (`maskmem_features.to(torch.bfloat16)`), which only works under CUDA autocast; on CPU (or
    without autocast) memory attention then fails with "mat1 and mat2 must have the same dtype".
    Cast the memory (and its positional encoding) to the query's dtype on the way in: the values
    stay the bfloat16-rounded ones the upstream code stores, so GPU results do not change."""
    attention = predictor.memory_attention
    forward = attention.forward

    def forward_in_query_dtype(curr, memory, curr_pos=None, memory_pos=None,
                               num_obj_ptr_tokens=0):
        dtype = (curr[0] if isinstance(curr, list) else curr).dtype
        memory_pos = memory_pos.to(dtype) if memory_pos is not None else None
        return forward(curr, memory.to(dtype), curr_pos, memory_pos, num_obj_ptr_tokens)

    attention.forward = forward_in_query_dtype


@dataclass
class SAM2Source:
    config: str
    checkpoint: Path
    window: int = 32
    points_per_side: int = 16
    pred_iou_thresh: float = 0.6
    stability_score_thresh: float = 0.8
    stability_score_offset: float = 0.9
    max_masklets: int | None = None  # keep the best N per window (fixed counts for FPS runs)
    box_nms_thresh: float = 0.7      # the generator's NMS (1.0: none, to force counts)
    vos_optimized: bool = False      # SAM2's compiled video predictor (CUDA; slow first video)
    device: str = "auto"
    name: str = "sam2"
    _predictor: object = field(default=None, repr=False)
    _sha256: str | None = field(default=None, repr=False)

    def masklets(self, video: Video, dataset: Dataset) -> VideoMasklets:
        import torch

        self.load()
        generator = self._generator()
        first = read_image(video.frames[0].image)
        vm = VideoMasklets(video.name, [f.stem for f in video.frames], *first.shape[:2],
                           self.name)
        device = self._predictor.device
        # bfloat16 autocast on CUDA, as SAM2's own video demo runs; float32 on CPU
        autocast = torch.autocast(device.type, dtype=torch.bfloat16,
                                  enabled=device.type == "cuda")
        with torch.inference_mode(), autocast:
            for start in range(0, len(video.frames), self.window):
                images = [read_image(f.image) for f in video.frames[start:start + self.window]]
                self._track_window(vm, start, images, generator)
        return vm

    def settings(self) -> dict:
        """What determines the masklets (see sources.source_settings), the checkpoint by its
        sha256 (so another file at the same path redoes the videos)."""
        from replication.data.fetch import sha256_file
        from replication.masks.sources import source_settings

        if self._sha256 is None:
            if not Path(self.checkpoint).is_file():
                self.load()  # raises MissingCheckpoint, with the reason
            self._sha256 = sha256_file(self.checkpoint)
        return {**source_settings(self), "checkpoint": self._sha256}

    def load(self) -> "SAM2Source":
        """Load the model now (else on the first video)."""
        if self._predictor is None:
            self._predictor = load_sam2(self.config, self.checkpoint, self.device,
                                        vos_optimized=self.vos_optimized)
        return self

    def _generator(self):
        from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

        return SAM2AutomaticMaskGenerator(
            self._predictor, points_per_side=self.points_per_side,
            pred_iou_thresh=self.pred_iou_thresh,
            stability_score_thresh=self.stability_score_thresh,
            stability_score_offset=self.stability_score_offset,
            box_nms_thresh=self.box_nms_thresh)

    def _track_window(self, vm: VideoMasklets, start: int, images: list[np.ndarray],
                      generator) -> None:
        with image_encoder_output(self._predictor) as first:
            found = sorted(generator.generate(images[0]), key=lambda m: -m["predicted_iou"])
        found = found[: self.max_masklets] if self.max_masklets is not None else found
        if not found:
            return
        # init_state encodes (and caches) the first frame: it takes the generator's encoding
        with frames_in_memory(images), image_encoder_output(self._predictor, first):
            state = self._predictor.init_state(video_path="<frames in memory>")
        for obj_id, mask in enumerate(found):
            self._predictor.add_new_mask(state, frame_idx=0, obj_id=obj_id,
                                         mask=mask["segmentation"])
        rles = [[None] * len(vm.frames) for _ in found]
        for t, obj_ids, logits in self._predictor.propagate_in_video(state):
            masks = (logits[:, 0] > 0).cpu().numpy()
            for i, (obj_id, rle) in enumerate(zip(obj_ids, encode(masks))):
                if masks[i].any():
                    rles[obj_id][start + t] = rle
        self._predictor.reset_state(state)
        for mask, rle in zip(found, rles):
            vm.masklets.append(Masklet(len(vm.masklets), float(mask["predicted_iou"]), rle))
