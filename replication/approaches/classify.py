"""Approach 2, SAM2 as a standalone segmentor: masklets + pooled features + a small classifier.

Training: every train-split masklet is labelled with its majority ground-truth class (skipped when
the majority is ignore or its purity, the majority's share of the masklet's labelled pixels, is
below `min_purity`), its pooled feature vector standardised, and an MLP trained with
cross-entropy (optionally ENet class weights over the masklets); with `ensemble` > 1, that many
MLPs are trained so, under seeds seed, seed + 1000, seed + 2000, ..., and their softmax
averaged. Prediction paints each masklet with its class, smallest over largest; pixels no
masklet covers take the class of the nearest covered pixel (`fill="nearest"`) or stay 255
(`fill="ignore"`). No semantic network runs at inference, unless the features are a
baseline's (the ablation).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from replication.approaches.features import PER, video_features
from replication.approaches.refine import timing, total_seconds
from replication.core.atomic import staged_dir, write_csv, write_json
from replication.core.errors import InputError, MissingInput
from replication.core.records import write_record
from replication.core.settings import Settings, setting
from replication.data.dataset import Dataset, split_videos
from replication.data.images import read_image
from replication.data.labels import write_label
from replication.data.video import IGNORE, INFERENCE_FILE, prediction_path
from replication.masks.runs import histograms, paint
from replication.masks.store import VideoMasklets, load_for_video

FORMAT = "vss-masklet-classifier-1"
MODEL_FILE = "classifier.pt"
FILLS = ("nearest", "ignore")
CURVE_FIELDS = ["epoch", "loss", "accuracy"]
MEMBER_SEEDS = 1000  # member k of an ensemble trains under seed + 1000 k


@dataclass
class ClassifierSettings(Settings):
    """How the masklet classifier is trained (`classify.train` in params)."""

    hidden: tuple[int, ...] = setting((256,), "hidden layer widths of the MLP", min=1)
    dropout: float = setting(0.1, "dropout after each hidden layer", min=0, below=1)
    epochs: int = setting(60, "passes over the training masklets", min=1)
    lr: float = setting(1e-3, "AdamW learning rate", above=0)
    batch: int = setting(256, "masklets per step", min=1)
    weight_decay: float = setting(1e-4, "AdamW weight decay", min=0)
    min_purity: float = setting(0.5, "skip training masklets whose majority class holds a "
                                "smaller share of their pixels", min=0, max=1)
    class_weighting: bool = setting(True, "ENet class weights over the training masklets")
    per: str = setting("masklet", "one vector per masklet (mean over its frames) or per frame",
                       choices=PER)
    seed: int = setting(0, "seed of the MLP's initialisation and batches (member k of the "
                        "ensemble: seed + 1000 k, so other seeds share no member)")
    ensemble: int = setting(1, "MLPs trained under seeds seed + 1000 k, their softmax "
                            "averaged (5 measured no steadier than 1 on CamVid: "
                            "docs/reproducibility.md)", min=1)
    max_vectors: int = setting(100_000, "training vectors kept: all when there are fewer, else "
                               "a uniform sample drawn with the seed (memory: this many "
                               "vectors, whatever the split's size)", min=1)


def masklet_targets(vm: VideoMasklets, labels: list[np.ndarray | None], num_classes: int):
    """Majority ground-truth class (ties: the lowest id) and purity of every masklet over its
    labelled frames (`labels`: one per frame, None where a frame has no label, as most of a
    Cityscapes snippet); the class is 255 where ignore pixels outnumber the majority class, or
    where the masklet is on no labelled frame."""
    counts = np.zeros((len(vm.masklets), num_classes), np.int64)
    area = np.zeros(len(vm.masklets), np.int64)
    for t, label in enumerate(labels):
        if label is None:
            continue
        runs, ids = vm.runs(t), vm.present(t)
        counts[ids] += histograms(runs, label, num_classes)
        area[ids] += runs.areas()
    majority = counts.argmax(1)
    top = counts.max(1)
    ignored = area - counts.sum(1)
    classes = np.where((top > 0) & (top >= ignored), majority, IGNORE).astype(np.uint8)
    purity = np.divide(top, counts.sum(1), out=np.zeros(len(top)), where=counts.sum(1) > 0)
    return classes, purity


def build_mlp(in_dim: int, num_classes: int, hidden: tuple[int, ...], dropout: float):
    import torch.nn as nn

    layers, dim = [], in_dim
    for width in hidden:
        layers += [nn.Linear(dim, width), nn.ReLU(), nn.Dropout(dropout)]
        dim = width
    return nn.Sequential(*layers, nn.Linear(dim, num_classes))


def train_mlp(x: np.ndarray, y: np.ndarray, num_classes: int, settings: ClassifierSettings):
    """An MLP fitted to standardised `x` -> `y` with AdamW; returns (model, mean, std, curve)."""
    import torch

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    mean, std = x.mean(0), x.std(0) + 1e-6
    xt = torch.from_numpy((x - mean) / std).float()
    yt = torch.from_numpy(y.astype(np.int64))
    weight = None
    if settings.class_weighting:
        from baselines.frames import enet_weights

        weight = torch.from_numpy(enet_weights(np.bincount(y, minlength=num_classes))).float()
    model = build_mlp(x.shape[1], num_classes, settings.hidden, settings.dropout)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr,
                                  weight_decay=settings.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    curve = []
    for epoch in range(1, settings.epochs + 1):
        model.train()
        order = torch.from_numpy(rng.permutation(len(xt)))
        total = 0.0
        for batch in order.split(settings.batch):
            loss = loss_fn(model(xt[batch]), yt[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            accuracy = float((model(xt).argmax(1) == yt).float().mean())
        curve.append({"epoch": epoch, "loss": round(total / len(xt), 5),
                      "accuracy": round(accuracy, 5)})
    return model.eval(), mean, std, curve


def train_ensemble(x: np.ndarray, y: np.ndarray, num_classes: int,
                   settings: ClassifierSettings):
    """`settings.ensemble` MLPs (train_mlp under seeds seed + 1000 k); returns (their state
    dicts, mean, std, curve: per epoch the members' mean loss and accuracy)."""
    members, curves = [], []
    for k in range(settings.ensemble):
        member = replace(settings, seed=settings.seed + MEMBER_SEEDS * k)
        model, mean, std, curve = train_mlp(x, y, num_classes, member)
        members.append(model.state_dict())
        curves.append(curve)
    curve = [{"epoch": rows[0]["epoch"],
              **{f: round(float(np.mean([r[f] for r in rows])), 5) for f in CURVE_FIELDS[1:]}}
             for rows in zip(*curves)]
    return members, mean, std, curve


class Ensemble:
    """Members' mean softmax (one member: its softmax, whose argmax is its logits')."""

    def __init__(self, members: list):
        self.members = members

    def __call__(self, x):
        import torch

        return torch.stack([m(x).softmax(1) for m in self.members]).mean(0)


def training_set(dataset: Dataset, split: str, masks_dir: Path, encoder,
                 settings: ClassifierSettings):
    """(vectors, classes) of the usable masklets of a split (at most `max_vectors`: a uniform
    sample), and counts of what was skipped and of the usable ones."""
    kept, skipped = Reservoir(settings.max_vectors, settings.seed), {"ignore": 0, "impure": 0}
    for _, video in tqdm(split_videos(dataset, [split]), desc="pool train masklets",
                         unit="video"):
        vm = load_for_video(masks_dir, split, video)
        labels = [dataset.load_label(f) if f.label is not None else None for f in video.frames]
        classes, purity = masklet_targets(vm, labels, dataset.num_classes)
        ids, frames, vectors = video_features(encoder, vm, masks_dir, split, video,
                                              settings.per)
        keep = (classes[ids] != IGNORE) & (purity[ids] >= settings.min_purity)
        skipped["ignore"] += int((classes[ids] == IGNORE).sum())
        skipped["impure"] += int(((classes[ids] != IGNORE) & ~keep).sum())
        kept.add(vectors[keep], classes[ids][keep])
    x, y = kept.arrays()
    skipped["usable"] = kept.seen
    if not len(x):
        raise InputError(f"{masks_dir}: no {split} masklet has a class majority with purity >= "
                         f"{settings.min_purity}; lower min-purity or check the masks")
    return x, y, skipped


class Reservoir:
    """A uniform sample of at most `size` (vector, class) pairs of a stream (reservoir sampling,
    seeded): every pair while there are fewer, in order."""

    def __init__(self, size: int, seed: int):
        self.size, self.seen, self.rng = size, 0, np.random.default_rng(seed)
        self.x: np.ndarray | None = None
        self.y: np.ndarray | None = None

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        if self.x is None:
            self.x = np.empty((self.size, *x.shape[1:]), x.dtype)
            self.y = np.empty(self.size, y.dtype)
        fill = max(0, min(len(x), self.size - self.seen))
        self.x[self.seen:self.seen + fill], self.y[self.seen:self.seen + fill] = x[:fill], y[:fill]
        rest = np.arange(self.seen + fill, self.seen + len(x))  # the stream index of each
        self.seen += len(x)
        if not len(rest):
            return
        slot = self.rng.integers(0, rest + 1)  # pair i replaces slot j < size with p = size/(i+1)
        hit = np.flatnonzero(slot < self.size)
        last = len(hit) - 1 - np.unique(slot[hit][::-1], return_index=True)[1]  # last one wins
        self.x[slot[hit[last]]] = x[fill:][hit[last]]
        self.y[slot[hit[last]]] = y[fill:][hit[last]]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        n = min(self.seen, self.size)
        if self.x is None:
            return np.zeros((0, 0), np.float32), np.zeros(0, np.int64)
        return self.x[:n].copy(), self.y[:n].copy()


def train_classifier(dataset: Dataset, split: str, masks_dir: Path, encoder, out_dir: Path,
                     curve_path: Path, settings: ClassifierSettings) -> dict:
    """Train on a split's masklets; save the classifier (`<out_dir>/classifier.pt`, plain
    tensors) and its curve."""
    import torch

    x, y, skipped = training_set(dataset, split, masks_dir, encoder, settings)
    start = time.perf_counter()
    members, mean, std, curve = train_ensemble(x, y, dataset.num_classes, settings)
    info = {"masklets": len(x), "usable": skipped.pop("usable"), "skipped": skipped,
            "members": len(members),
            "feature_dim": int(x.shape[1]),
            "train_seconds": round(time.perf_counter() - start, 2),
            "train_accuracy": curve[-1]["accuracy"]}
    state = {"format": FORMAT, "settings": asdict(settings), "classes": list(dataset.classes),
             "encoder": encoder.spec, "mean": torch.from_numpy(mean), "std": torch.from_numpy(std),
             "members": members, "info": info}
    with staged_dir(out_dir, inputs=[masks_dir, dataset.root, curve_path,
                                     getattr(encoder, "folder", None)]) as staging:
        torch.save(state, staging / MODEL_FILE)
        write_record(staging, "classifier", dataset=dataset.name, split=split, masks=masks_dir,
                     encoder=encoder.spec, settings=asdict(settings))
    write_curve(curve_path, curve)
    return info


def write_curve(path: Path, rows: list[dict]) -> None:
    """The training curve as CSV (only the header when nothing was trained)."""
    write_csv(path, rows, CURVE_FIELDS)


def load_classifier(path: Path, num_classes: int):
    """(model: an Ensemble, mean, std, state) of a saved classifier (one saved before ensembles,
    with one `state_dict`: a one-member ensemble); errors name the file and the fix."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise MissingInput(f"{path}: classifier not found; run `vss classify train` first")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("format") != FORMAT:
        raise InputError(f"{path}: not a masklet classifier of this suite ({FORMAT})")
    if len(state["classes"]) != num_classes:
        raise InputError(f"{path}: trained for {len(state['classes'])} classes, the dataset "
                         f"has {num_classes}")
    settings = state["settings"]
    members = []
    for weights in state.get("members") or [state["state_dict"]]:
        model = build_mlp(len(state["mean"]), num_classes, tuple(settings["hidden"]),
                          settings["dropout"])
        model.load_state_dict(weights)
        members.append(model.eval())
    return Ensemble(members), state["mean"].numpy(), state["std"].numpy(), state


def fuse(vm: VideoMasklets, t: int, classes: dict) -> np.ndarray:
    """Label map of frame `t`: masklets painted with `classes` (masklet index -> class, or
    (masklet index, frame) -> class), smallest over largest; 255 where no masklet is."""
    labels = np.array([classes.get((i, t), classes.get(i, -1)) for i in vm.present(t)], np.int64)
    return paint(vm.runs(t), labels, np.full((vm.height, vm.width), IGNORE, np.uint8))


def fill_nearest(label: np.ndarray) -> np.ndarray:
    """Pixels of 255 take the label of the nearest labelled pixel (Euclidean)."""
    holes = label == IGNORE
    if not holes.any() or holes.all():
        return label
    rows, cols = ndimage.distance_transform_edt(holes, return_distances=False,
                                                return_indices=True)
    return label[rows, cols]


def predict_classifier(model_path: Path, dataset: Dataset, splits: list[str], masks_dir: Path,
                       encoder, out_dir: Path, fill: str = "nearest") -> dict:
    """Segment the splits' frames with classified masklets; records speed and coverage."""
    import torch

    if fill not in FILLS:
        raise InputError(f"fill must be one of {FILLS}, got {fill!r}")
    model, mean, std, state = load_classifier(model_path, dataset.num_classes)
    per = state["settings"]["per"]
    frames, covered, seconds, stored, mask_seconds = 0, 0.0, 0.0, 0.0, []
    with staged_dir(out_dir, inputs=[model_path, masks_dir, dataset.root,
                                     getattr(encoder, "folder", None)]) as staging:
        for split, video in tqdm(split_videos(dataset, splits),
                                 desc=f"classify {Path(out_dir).name}", unit="video"):
            vm = load_for_video(masks_dir, split, video)
            mask_seconds.append(vm.timed_seconds)
            images = None  # stored features: their time when they were made counts
            if hasattr(encoder, "seconds"):
                stored += encoder.seconds(vm, masks_dir, split, video)
            else:  # decoded before the clock starts
                images = [read_image(f.image) for f in video.frames]
            start = time.perf_counter()
            ids, where, vectors = video_features(encoder, vm, masks_dir, split, video, per,
                                                 images)
            classes = {}
            if len(ids):
                with torch.no_grad():
                    scores = model(torch.from_numpy((vectors - mean) / std).float())
                classes = {(int(i) if t < 0 else (int(i), int(t))): int(c)
                           for i, t, c in zip(ids, where, scores.argmax(1).numpy())}
            labels = [fuse(vm, t, classes) for t in range(len(video.frames))]
            covered += sum(float((label != IGNORE).mean()) for label in labels)
            if fill == "nearest":
                labels = [fill_nearest(label) for label in labels]
            seconds += time.perf_counter() - start
            frames += len(labels)
            for frame, label in zip(video.frames, labels):
                write_label(prediction_path(staging, video, frame), label)
        parts = {"masks": total_seconds(mask_seconds),
                 **({"features": stored} if hasattr(encoder, "seconds") else {}),
                 "classifier": seconds}
        info = {"classifier": str(model_path), "encoder": state["encoder"],
                "masks": str(masks_dir), "fill": fill, "frames": frames,
                "coverage": round(covered / frames, 4),
                **timing(frames, parts, "classifier and fusion; features: the encoding and "
                         "pooling as `vss features` timed them" if stored else
                         "features, classifier and fusion")}
        write_json(staging / INFERENCE_FILE, info)
        write_record(staging, "classify", {"source": Path(masks_dir).name,
                                           "features": encoder.name, "encoder": encoder.kind},
                     dataset=dataset.name, splits=list(splits), classifier=model_path,
                     masks=masks_dir, encoder=state["encoder"], fill=fill)
    return info
