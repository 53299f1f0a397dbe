"""Our baseline checkpoints: plain tensors and Python values, loadable with weights_only=True."""
from __future__ import annotations

from pathlib import Path

from replication.atomic import atomic_path

FORMAT = "vss-baseline-1"


def save(path: Path, state_dict: dict, **meta) -> None:
    import torch

    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **meta, "state_dict": state_dict}, tmp)


def load(path: Path, *, trust: bool = False) -> dict:
    """Load a checkpoint of ours, or an mmseg/mmengine one (`state_dict` inside).

    Files from elsewhere (e.g. mmseg model-zoo SegFormer weights) may hold pickled objects that
    torch >= 2.6 refuses by default: `trust=True` unpickles them fully (only for files you trust).
    """
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found; train it (`dvc repro train@...`) "
                                "or point `checkpoint:` in params.yaml at your file")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=not trust)
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{path}: holds objects beyond tensors; if you trust this file, "
                         "load it with --trust-checkpoint") from exc
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ValueError(f"{path}: not a model checkpoint (no `state_dict`)")
    return ckpt
