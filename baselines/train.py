"""Train a baseline from scratch: AdamW, poly decay, class-weighted cross-entropy, random crops."""
from __future__ import annotations

import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from baselines import checkpoint
from baselines.frames import TrainFrames
from baselines.models import build_config, build_model, load_pretrained_backbone, to_input
from replication.atomic import staged_dir, write_csv
from replication.data.dataset import Dataset
from replication.device import describe_device, pick_device
from replication.records import write_record


@dataclass
class TrainSettings:
    iterations: int = 2000
    batch: int = 4
    crop: tuple[int, int] = (180, 240)
    scale: tuple[float, float] = (0.5, 1.5)
    lr: float = 2e-3
    weight_decay: float = 0.01
    poly_power: float = 0.9
    class_weighting: bool = True
    seed: int = 0
    log_every: int = 50
    limit_frames: int | None = None  # train on the first N frames only (tests, smoke runs)

    def __post_init__(self):
        for name in ("iterations", "batch", "log_every", *(["limit_frames"] if self.limit_frames
                                                          is not None else [])):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', '-')} must be at least 1, got "
                                 f"{getattr(self, name)}")
        if min(self.crop) < 1 or not 0 < self.scale[0] <= self.scale[1] or self.lr <= 0:
            raise ValueError(f"crop must be positive, 0 < scale min <= max and lr > 0; got crop "
                             f"{self.crop}, scale {self.scale}, lr {self.lr}")


def train(model_name: str, dataset: Dataset, split: str, settings: TrainSettings, out_dir: Path,
          curve: Path, *, device: str = "auto", mit: str | None = None,
          pretrained: str | None = None, trust: bool = False) -> dict:
    """Train `model_name` on `split` (from random weights, or from `pretrained` backbone
    weights: a file or URL); write the model folder (`model.pth` and its record) and the
    training-curve CSV."""
    import torch

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    dev = pick_device(device)
    frames = TrainFrames.load(dataset, split, settings.limit_frames)
    weights = frames.class_weights(dataset.num_classes) if settings.class_weighting else None
    cfg = build_config(model_name, dataset.num_classes, class_weight=weights, mit=mit)
    model = build_model(cfg)
    init = (load_pretrained_backbone(model, pretrained, trust=trust) if pretrained
            else {"pretrained": None})
    model = model.to(dev).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr,
                                  weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda it: (1 - it / settings.iterations) ** settings.poly_power)
    rows, window, start = [], [], time.perf_counter()
    bar = tqdm(range(1, settings.iterations + 1), desc=f"train {model_name}", unit="it")
    for it in bar:
        images, labels = frames.batch(rng, settings.batch, settings.crop, settings.scale)
        x = to_input(cfg, images, dev)
        losses = model.loss(x, _samples(torch.from_numpy(labels).to(dev)))
        loss, _ = model.parse_losses(losses)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        window.append(loss.item())
        if it % settings.log_every == 0 or it == settings.iterations:
            rows.append({"iteration": it, "loss": round(float(np.mean(window)), 5),
                         "lr": optimiser.param_groups[0]["lr"],
                         "seconds": round(time.perf_counter() - start, 1)})
            bar.set_postfix(loss=f"{rows[-1]['loss']:.3f}")
            window = []
    seconds = time.perf_counter() - start
    meta = {"model": model_name, "mit": mit, "dataset": dataset.name,
            "classes": list(dataset.classes), "class_weight": weights,
            "train": {**asdict(settings), "split": split}, "init": init,
            "seconds": round(seconds, 1),
            "device": describe_device(dev),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    with staged_dir(out_dir) as staging:
        checkpoint.save(staging / checkpoint.MODEL_FILE, model.state_dict(), **meta)
        write_record(staging, "model", dataset=dataset.name, model=model_name, mit=mit,
                     train=meta["train"])
    write_csv(curve, rows, ["iteration", "loss", "lr", "seconds"])
    return meta


def _samples(labels):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    samples = []
    for label in labels:
        sample = SegDataSample(gt_sem_seg=PixelData(data=label[None].long()))
        shape = tuple(label.shape)
        sample.set_metainfo({"img_shape": shape, "pad_shape": shape, "ori_shape": shape})
        samples.append(sample)
    return samples


def adopt(path: Path, dataset: Dataset, out_dir: Path, *, model_name: str | None = None,
          mit: str | None = None, trust: bool = False) -> dict:
    """Take a given checkpoint instead of training (e.g. a SegFormer trained on VSPW by
    someone else): loaded (tensors only unless `trust`), checked to fit `model_name` and the
    dataset's classes, and written as our model folder, its origin recorded."""
    from baselines.predict import load_model
    from replication.data.fetch import sha256_file

    model, cfg, _ = load_model(path, dataset.num_classes, device="cpu", model_name=model_name,
                               mit=mit, trust=trust)
    meta = {"model": model_name, "mit": mit, "dataset": dataset.name,
            "classes": list(dataset.classes), "class_weight": None,
            "adopted": {"checkpoint": str(path), "sha256": sha256_file(checkpoint.resolve(path))},
            "seconds": 0.0, "device": "cpu", "peak_rss_mb": 0}
    with staged_dir(out_dir) as staging:
        checkpoint.save(staging / checkpoint.MODEL_FILE, model.state_dict(), **meta)
        write_record(staging, "model", dataset=dataset.name, model=model_name, mit=mit,
                     adopted=meta["adopted"])
    return meta
