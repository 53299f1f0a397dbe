"""Run a trained baseline over dataset splits; write label PNGs and the inference speed."""
from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np

from baselines import checkpoint
from baselines.models import build_config, build_model, to_input
from replication.core.atomic import staged_dir, write_json
from replication.core.device import describe_device, pick_device
from replication.core.errors import InputError
from replication.core.executor import Executor, run
from replication.core.records import write_record
from replication.data.dataset import Dataset
from replication.data.images import read_image
from replication.data.labels import write_label
from replication.data.video import INFERENCE_FILE, confidence_path, prediction_path

PAD = 32  # frames are padded to a multiple of this (the backbones' largest stride)


def load_model(ckpt_path: Path, num_classes: int, *, device="auto", model_name=None, mit=None,
               trust=False):
    """The model of a checkpoint: ours names its model; an mmseg one needs `model_name`."""
    ckpt = checkpoint.load(ckpt_path, trust=trust)
    if ckpt.get("format") == checkpoint.FORMAT:
        model_name, mit = ckpt["model"], ckpt.get("mit")
        if len(ckpt["classes"]) != num_classes:
            raise InputError(f"{ckpt_path}: trained for {len(ckpt['classes'])} classes, the "
                             f"dataset has {num_classes}")
    elif model_name is None:
        raise InputError(f"{ckpt_path}: not one of our checkpoints; name its model (--model)")
    cfg = build_config(model_name, num_classes, mit=mit)
    model = build_model(cfg)
    try:
        missing, _ = model.load_state_dict(ckpt["state_dict"], strict=False)
    except RuntimeError as exc:  # shape mismatches
        missing = [str(exc).splitlines()[1].strip()]
    if missing:
        raise InputError(f"{ckpt_path}: does not fit {model_name} ({missing[0]}); "
                         "wrong --model or --mit?")
    dev = pick_device(device)
    return model.to(dev).eval(), cfg, dev


def segment(model, cfg, image: np.ndarray, dev):
    """Label map of one RGB frame at its own size (the logits' argmax), and the logits."""
    import torch

    h, w = image.shape[:2]
    logits = _forward(model, cfg, image, dev)[0, :, :h, :w]
    return logits.argmax(0).to(torch.uint8).cpu().numpy(), logits


def confidence_of(logits) -> np.ndarray:
    """The max softmax probability of (C, H, W) logits, x 255 rounded (uint8): what the
    refiner's weighted votes read, kept beside the labels (no part of the method's output)."""
    import torch

    return (logits.float().softmax(0).amax(0) * 255).round().to(torch.uint8).cpu().numpy()


def decoder_features(model, cfg, image: np.ndarray, dev):
    """The input of the model's classification layer (`decode_head.conv_seg`) for one frame:
    (C, h, w) decoder features, cropped to the cells that cover the frame (not its padding)."""
    captured = []
    hook = model.decode_head.conv_seg.register_forward_hook(
        lambda module, inputs, output: captured.append(inputs[0]))
    try:
        _forward(model, cfg, image, dev)
    finally:
        hook.remove()
    features, (h, w) = captured[-1][0], image.shape[:2]
    padded_h, padded_w = -(-h // PAD) * PAD, -(-w // PAD) * PAD
    return features[:, :round(h * features.shape[1] / padded_h),
                    :round(w * features.shape[2] / padded_w)]


def _forward(model, cfg, image: np.ndarray, dev):
    """Logits of one frame, padded at the bottom/right to a multiple of PAD inside."""
    import torch
    import torch.nn.functional as F

    h, w = image.shape[:2]
    ph, pw = -h % PAD, -w % PAD
    x = F.pad(to_input(cfg, image[None], dev), (0, pw, 0, ph))
    meta = {"img_shape": (h + ph, w + pw), "pad_shape": (h + ph, w + pw), "ori_shape": (h, w)}
    with torch.no_grad():
        return model.encode_decode(x, [meta])


def predict(ckpt_path: Path, dataset: Dataset, splits: list[str], out_dir: Path, *,
            device: str = "auto", model_name=None, mit=None, trust=False,
            executor: Executor | None = None) -> dict:
    """Write `<out_dir>/<video>/<stem>.png` for every frame of `splits` and `inference.json`:
    video by video, in this process or on a Ray cluster (`executor`: each worker loads the
    model once; the PNGs are written here)."""
    videos = sorted((v for s in splits for v in dataset.videos(s)), key=lambda v: -len(v.frames))
    if executor is not None:
        executor.connect()  # an unreachable cluster is named before anything is written
    if executor is not None and executor.kind == "ray":  # a bad checkpoint fails here, once
        load_model(ckpt_path, dataset.num_classes, device="cpu", model_name=model_name, mit=mit,
                   trust=trust)
    worker = functools.partial(load_model, ckpt_path, dataset.num_classes, device=device,
                               model_name=model_name, mit=mit, trust=trust)
    seconds, devices = [], set()
    with staged_dir(out_dir, inputs=[ckpt_path, dataset.root]) as staging:
        def write(video, result) -> None:
            labels, took, where = result
            seconds.append(took)
            devices.add(where)
            for frame, (label, confidence) in zip(video.frames, labels):
                write_label(prediction_path(staging, video, frame), label)
                write_label(confidence_path(staging, video, frame), confidence)

        outcome = run(videos, worker, segment_video, write, executor or Executor(),
                      name=lambda v: v.name, desc=f"predict {Path(out_dir).name}")
        if outcome.failed:
            raise InputError(f"{len(outcome.failed)} video(s) failed: " + "; ".join(
                f"{v}: {e}" for v, e in outcome.failed.items()))
        frames = sum(len(v.frames) for v in videos)
        info = {"checkpoint": str(ckpt_path), "device": ", ".join(sorted(devices)),
                "frames": frames, "seconds": round(sum(seconds), 3),
                "fps": round(frames / sum(seconds), 3),
                "timing": "model forward incl. normalisation and argmax; image decoding, "
                          "the stored confidence and PNG writing excluded"}
        write_json(staging / INFERENCE_FILE, info)
        write_record(staging, "baseline", dataset=dataset.name, splits=list(splits),
                     checkpoint=ckpt_path)
    return info


def segment_video(loaded, video) -> tuple[list[tuple[np.ndarray, np.ndarray]], float, str]:
    """The (label map, confidence) of a video's frames, the seconds the model took and its
    device."""
    import torch

    model, cfg, dev = loaded
    labels, seconds = [], 0.0
    for frame in video.frames:
        image = read_image(frame.image)
        start = time.perf_counter()
        label, logits = segment(model, cfg, image, dev)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        seconds += time.perf_counter() - start
        labels.append((label, confidence_of(logits)))
    return labels, seconds, describe_device(dev)
