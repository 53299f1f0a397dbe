"""Train a baseline: AdamW, poly decay, class-weighted cross-entropy, random crops.

Frames stream from disk through a DataLoader (`workers` processes read and augment; the crops
are drawn in the main process from the seed's stream, so any number of workers gives the same
batches). bfloat16 autocast on CUDA. Every `checkpoint-every` iterations the whole state
(weights, optimiser, schedule, curve, random states) is written beside the model folder; `vss
train --resume` continues from the last one and ends with the weights an uninterrupted run
makes. Under `torchrun --nproc-per-node N` it trains data-parallel (PyTorch DDP: NCCL on GPUs,
gloo on CPUs), each process taking its share of every batch; the first writes the outputs.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from baselines import checkpoint
from baselines.frames import TrainFrames
from baselines.models import build_config, build_model, load_pretrained_backbone, to_input
from replication.core.atomic import atomic_path, staged_dir, write_csv
from replication.core.device import describe_device, pick_device
from replication.core.errors import InputError
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
    workers: int = setting(2, "DataLoader processes reading and augmenting frames (0: this "
                           "process)", min=0)
    checkpoint_every: int = setting(1000, "iterations between resumable checkpoints", min=1)
    class_weight_frames: int = setting(2000, "frames the class weights are counted on (all of "
                                       "them when the split has fewer; else a sample drawn "
                                       "with the seed, recorded)", min=1)
    amp: bool = setting(True, "bfloat16 autocast on CUDA (no effect on the CPU)")

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
                  curve: Path, *, device: str = "auto", resume: bool = False) -> dict:
    """The baseline of `recipe` in `out_dir` (its model folder) and its training curve: the
    adopted checkpoint, or a model trained on `split`."""
    if recipe.checkpoint:
        meta = adopt(Path(recipe.checkpoint), dataset, out_dir, model_name=recipe.model,
                     mit=recipe.mit, trust=recipe.trust)
        write_csv(curve, [], CURVE_FIELDS)
        return meta
    return train(recipe.model, dataset, split, recipe.train, out_dir, curve, device=device,
                 mit=recipe.mit, pretrained=recipe.pretrained, trust=recipe.trust,
                 resume=resume)


def train(model_name: str, dataset: Dataset, split: str, settings: TrainSettings, out_dir: Path,
          curve: Path, *, device: str = "auto", mit: str | None = None,
          pretrained: str | None = None, trust: bool = False, resume: bool = False) -> dict:
    """Train `model_name` on `split` (from random weights, or from `pretrained` backbone
    weights: a file or URL); write the model folder (`model.pth` and its record) and the
    training-curve CSV; with `resume`, continue from the last checkpoint of an interrupted run
    with the same settings."""
    import torch

    ddp = Distributed.start(device)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    dev = ddp.device if ddp.world > 1 else pick_device(device)
    frames = TrainFrames(dataset, split, settings.limit_frames)
    weights, counted = (frames.class_weights(dataset.num_classes, settings.class_weight_frames,
                                             settings.seed)
                        if settings.class_weighting else (None, 0))
    cfg = build_config(model_name, dataset.num_classes, class_weight=weights, mit=mit)
    model = build_model(cfg)
    init = (load_pretrained_backbone(model, pretrained, trust=trust) if pretrained
            else {"pretrained": None})
    model = model.to(dev).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr,
                                  weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda it: (1 - it / settings.iterations) ** settings.poly_power)
    state_path = resume_folder(out_dir) / "state.pth"
    outcome = {**_outcome(settings), "model": model_name, "mit": mit, "pretrained": pretrained,
               "dataset": dataset.name, "split": split, "frames": len(frames)}
    first, rows, window = 1, [], []
    if resume and state_path.is_file():
        first, rows, window = _restore(state_path, outcome, model, optimiser, schedule)
    net = ddp.wrap(model)
    if settings.batch % ddp.world:
        raise InputError(f"batch {settings.batch} does not split over {ddp.world} processes; "
                         "give a batch that is a multiple of the number of processes")
    loader = torch.utils.data.DataLoader(  # its own generator: the model's stream stays as is
        _Samples(frames, settings.crop), batch_size=settings.batch // ddp.world,
        sampler=_Crops(frames, rng, settings, first, ddp), num_workers=settings.workers,
        collate_fn=_stack, generator=torch.Generator().manual_seed(settings.seed),
        worker_init_fn=_die_with_parent)
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16,
                              enabled=settings.amp and dev.type == "cuda")
    start = time.perf_counter() - (rows[-1]["seconds"] if rows else 0.0)
    bar = tqdm(range(first, settings.iterations + 1), desc=f"train {model_name}", unit="it",
               initial=first - 1, total=settings.iterations, disable=not ddp.main)
    for it, (images, labels) in zip(bar, loader):
        x = to_input(cfg, images, dev)
        with autocast:
            losses = net(x, _samples(torch.from_numpy(labels).to(dev)), mode="loss")
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
        if ddp.main and it % settings.checkpoint_every == 0 and it < settings.iterations:
            _save_state(state_path, outcome, model, optimiser, schedule, it, rows, window)
    seconds = time.perf_counter() - start
    meta = {"model": model_name, "mit": mit, "dataset": dataset.name,
            "classes": list(dataset.classes), "class_weight": weights,
            "class_weight_frames": counted,
            "train": {**asdict(settings), "split": split, "processes": ddp.world},
            "init": init, "seconds": round(seconds, 1), "device": describe_device(dev),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    if ddp.main:
        with staged_dir(out_dir, inputs=[dataset.root, curve]) as staging:
            checkpoint.save(staging / checkpoint.MODEL_FILE, model.state_dict(), **meta)
            write_record(staging, "model", dataset=dataset.name, model=model_name, mit=mit,
                         train=meta["train"])
        write_csv(curve, rows, CURVE_FIELDS)
        shutil.rmtree(state_path.parent, ignore_errors=True)  # ours: the run it served is done
    ddp.stop()
    return {**meta, "rank": ddp.rank, "resumed_at": first if first > 1 else None}


def resume_folder(out_dir: Path) -> Path:
    """Where an unfinished training keeps its last checkpoint: beside its model folder."""
    out_dir = Path(out_dir)
    return out_dir.with_name(f".{out_dir.name}.resume")


def _save_state(path: Path, outcome: dict, model, optimiser, schedule, it, rows, window) -> None:
    import torch

    with atomic_path(path) as tmp:
        torch.save({"outcome": outcome, "iteration": it, "model": model.state_dict(),
                    "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
                    "rows": rows, "window": window, "torch_rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available()
                    else []}, tmp)


def _outcome(settings: TrainSettings) -> dict:
    """The settings a resumed run must share with the run it continues (not those that change
    only how fast it goes)."""
    return {k: v for k, v in asdict(settings).items() if k not in ("workers", "checkpoint_every")}


def _restore(path: Path, outcome: dict, model, optimiser, schedule) -> tuple[int, list, list]:
    """Load a checkpoint of `_save_state` of a run with this `outcome`; returns the next
    iteration, the curve and the loss window so far (a fresh start for another run's)."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["outcome"] != outcome:
        print(f"{path}: the checkpoint of a training with other settings; starting afresh (it "
              "is replaced at the first checkpoint)")
        return 1, [], []
    model.load_state_dict(state["model"])
    optimiser.load_state_dict(state["optimiser"])
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"]:
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return state["iteration"] + 1, state["rows"], state["window"]


class _Crops:
    """The crops of iterations `first`.. of this process, in order, drawn as the loader asks
    for them (memory: a batch, whatever the iteration count): every batch comes from the seed's
    stream (those before `first` too, so a resumed run draws what an uninterrupted one draws),
    and this process takes its share of each."""

    def __init__(self, frames: TrainFrames, rng, settings: TrainSettings, first: int,
                 ddp: "Distributed"):
        self.frames, self.rng, self.settings, self.first, self.ddp = (frames, rng, settings,
                                                                      first, ddp)

    def __iter__(self):
        s = self.settings
        for it in range(1, s.iterations + 1):
            batch = self.frames.draw(self.rng, s.batch, s.crop, s.scale)
            if it >= self.first:
                yield from batch[self.ddp.rank::self.ddp.world]


class _Samples:
    """A DataLoader dataset whose items are crops: read and augmented where it runs."""

    def __init__(self, frames: TrainFrames, crop: tuple[int, int]):
        self.frames, self.crop = frames, crop

    def __getitem__(self, c):
        return self.frames.load(c, self.crop)


def _die_with_parent(_worker: int) -> None:
    """A DataLoader worker dies with its training process (on Linux): a killed run leaves no
    orphan behind that holds its terminal or pipes."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


def _stack(items: list) -> tuple[np.ndarray, np.ndarray]:
    return np.stack([i for i, _ in items]), np.stack([label for _, label in items])


class Distributed:
    """This process's place in a torchrun job (one process, when not under torchrun)."""

    def __init__(self, rank: int = 0, world: int = 1, device=None):
        self.rank, self.world, self.device = rank, world, device

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def start(cls, device: str) -> "Distributed":
        import os

        import torch

        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world == 1:
            return cls()
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = device != "cpu" and torch.cuda.is_available()
        dev = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(dev)
        torch.distributed.init_process_group("nccl" if cuda else "gloo")
        return cls(torch.distributed.get_rank(), world, dev)

    def wrap(self, model):
        if self.world == 1:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def stop(self) -> None:
        if self.world > 1:
            import torch

            torch.distributed.barrier()
            torch.distributed.destroy_process_group()


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
    with staged_dir(out_dir, inputs=[path, dataset.root]) as staging:
        checkpoint.save(staging / checkpoint.MODEL_FILE, model.state_dict(), **meta)
        write_record(staging, "model", dataset=dataset.name, model=model_name, mit=mit,
                     adopted=meta["adopted"])
    return meta
