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
from replication.core.atomic import staged_dir, write_csv
from replication.core.device import describe_device, pick_device
from replication.core.records import write_record
from replication.core.settings import Settings, fields_of, from_flags, setting
from replication.data.dataset import Dataset

CURVE_FIELDS = ["iteration", "loss", "lr", "seconds"]


@dataclass
class TrainSettings(Settings):
    """How a baseline is trained (`train:` of a `baselines:` entry; flags of `vss train`)."""

    iterations: int = setting(2000, "optimiser steps", min=1)
    batch: int = setting(4, "crops per step", min=1)
    crop: tuple[int, int] = setting((180, 240), "crop height and width (pixels)", min=1)
    scale: tuple[float, float] = setting((0.5, 1.5), "random rescale range before cropping",
                                         above=0)
    lr: float = setting(2e-3, "AdamW learning rate (poly decay to 0)", above=0)
    weight_decay: float = setting(0.01, "AdamW weight decay", min=0)
    poly_power: float = setting(0.9, "exponent of the poly learning-rate decay", min=0)
    class_weighting: bool = setting(True, "ENet class weights from the train split's labels")
    seed: int = setting(0, "seed of the weights' initialisation and the crops")
    log_every: int = setting(50, "iterations per training-curve row", min=1)
    limit_frames: int | None = setting(None, "train on the first N frames only (tests, smoke "
                                       "runs)", min=1)

    def validate(self) -> None:
        if self.scale[0] > self.scale[1]:
            self.reject("scale", "min <= max")


@dataclass
class BaselineRecipe(Settings):
    """A `baselines:` entry of params: the network (`net`), how it is made (trained from
    scratch or from `pretrained` backbone weights, or a given `checkpoint` adopted), and its
    training settings (`train`)."""

    model: str = setting("fastscnn", "a config in baselines/configs")
    mit: str | None = setting(None, "SegFormer backbone size b0..b5")
    pretrained: str | None = setting(None, "start from these backbone weights (file or URL; "
                                     "e.g. mmseg's ImageNet MiT for SegFormer)")
    checkpoint: str | None = setting(None, "do not train: adopt this checkpoint (e.g. a "
                                     "model-zoo SegFormer for the benchmark)", flag="adopt")
    trust: bool = setting(False, "fully unpickle --adopt / --pretrained files (only files you "
                          "trust)", flag="trust-checkpoint")
    train: TrainSettings = setting(flag=False, factory=TrainSettings)

    @classmethod
    def from_entry(cls, entry: dict, where: str = "", **overrides) -> "BaselineRecipe":
        """From a `baselines:` entry ({net: {model, mit, pretrained}, train: {...}, checkpoint,
        trust}); `overrides` of the recipe's fields or of its TrainSettings (None: not given)."""
        entry = dict(entry)
        net, train = dict(entry.pop("net", {})), dict(entry.pop("train", {}))
        train_keys = {f.name for f in fields_of(TrainSettings)}
        ours = {k: v for k, v in overrides.items() if k not in train_keys}
        settings = from_flags(TrainSettings, train, f"{where}.train" if where else "",
                              **{k: v for k, v in overrides.items() if k in train_keys})
        return from_flags(cls, {**net, **entry}, where, train=settings, **ours)


def make_baseline(recipe: BaselineRecipe, dataset: Dataset, split: str, out_dir: Path,
                  curve: Path, *, device: str = "auto") -> dict:
    """The baseline of `recipe` in `out_dir` (its model folder) and its training curve: the
    adopted checkpoint, or a model trained on `split`."""
    if recipe.checkpoint:
        meta = adopt(Path(recipe.checkpoint), dataset, out_dir, model_name=recipe.model,
                     mit=recipe.mit, trust=recipe.trust)
        write_csv(curve, [], CURVE_FIELDS)
        return meta
    return train(recipe.model, dataset, split, recipe.train, out_dir, curve, device=device,
                 mit=recipe.mit, pretrained=recipe.pretrained, trust=recipe.trust)


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
    write_csv(curve, rows, CURVE_FIELDS)
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
    from replication.core.hashing import sha256_file

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
