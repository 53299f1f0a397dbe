"""Our baseline checkpoints: plain tensors and Python values, loadable with weights_only=True."""
from __future__ import annotations

from pathlib import Path

from replication.core.atomic import atomic_path
from replication.core.errors import InputError

FORMAT = "vss-baseline-1"
MODEL_FILE = "model.pth"  # the checkpoint inside a model folder (what `vss train` writes)


def resolve(path: Path) -> Path:
    """A checkpoint file, or the model file of a model folder."""
    path = Path(path)
    return path / MODEL_FILE if path.is_dir() else path


def save(path: Path, state_dict: dict, **meta) -> None:
    import torch

    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **meta, "state_dict": state_dict}, tmp)


def load(path: Path, *, trust: bool = False) -> dict:
    """Load a checkpoint of ours, or an mmseg/mmengine one (`state_dict` inside).

    Files from elsewhere (e.g. mmseg model-zoo SegFormer weights) may hold pickled objects that
    torch >= 2.6 refuses by default: `trust=True` unpickles them fully (only for files you trust).
    """
    from replication.core.torch_files import load_torch

    path = resolve(path)
    ckpt = load_torch(path, "model checkpoint",
                      "train it (`dvc repro train@...`) or point --checkpoint (or `checkpoint:` "
                      "in params.yaml) at a checkpoint file", trust=trust,
                      trust_hint="if you trust this file, load it with --trust-checkpoint")
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        keys = sorted(ckpt)[:5] if isinstance(ckpt, dict) else type(ckpt).__name__
        raise InputError(f"{path}: not a model checkpoint (no `state_dict`; holds {keys}); "
                         "point --checkpoint at a baseline checkpoint")
    return ckpt
