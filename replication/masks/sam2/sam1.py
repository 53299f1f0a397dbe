"""SAM1's automatic mask generator as the proposer of the SAM2 source (AutoSeg-SAM2's choice:
SAM2's automatic masks are reported weaker than SAM1's, sam2 #194, #148).

Uses the real `segment-anything` package (Meta's SAM1) and a user-supplied ViT checkpoint (the
state dict Meta publishes, e.g. sam_vit_b_01ec64.pth), read with tensors only and loaded
strictly; without one the source is not run, with the reason (MissingCheckpoint).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from replication.core.errors import InputError
from replication.core.settings import Settings, setting
from replication.masks.sam2.loading import MissingCheckpoint, load_strictly

MODELS = ("vit_b", "vit_l", "vit_h")  # segment-anything's sam_model_registry


@dataclass(frozen=True)
class SAM1Proposals(Settings):
    """The automatic masks of a window's first frame (and of new-object frames) from SAM1, with
    the SAM2 source's grid and thresholds; SAM2 tracks them."""

    checkpoint: Path | None = setting(None, "a SAM1 checkpoint (segment-anything's state dict "
                                      "of `model`, e.g. sam_vit_b_01ec64.pth)")
    model: str = setting("vit_b", "the checkpoint's ViT size", choices=MODELS)

    def validate(self) -> None:
        if self.checkpoint is None:
            self.reject("checkpoint", "a path")


def load_sam1(proposals: SAM1Proposals, device):
    """SAM1 of `proposals.model` with its checkpoint loaded strictly, on `device`."""
    checkpoint = Path(proposals.checkpoint)
    if not checkpoint.is_file():
        raise MissingCheckpoint(
            f"{checkpoint}: SAM1 checkpoint not found (SAM1 proposals, `sam1:` of the sam2 "
            "source)", f"download Meta's segment-anything {proposals.model} checkpoint (e.g. "
            "sam_vit_b_01ec64.pth) to that path, or remove `sam1:` to use SAM2's own "
            "proposals; then run `dvc repro` again")
    try:
        from segment_anything import sam_model_registry
    except ImportError as exc:
        raise MissingCheckpoint(
            "SAM1 proposals need the segment-anything package, which is not installed",
            "pip install segment-anything==1.0 (scripts/setup.sh installs it)") from exc
    import torch

    from replication.core.torch_files import load_torch

    fix = f"use Meta's segment-anything {proposals.model} checkpoint"
    state = load_torch(checkpoint, "SAM1 checkpoint", fix)
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise InputError(f"{checkpoint}: not a SAM1 checkpoint (a state dict of tensors); {fix}")
    model = sam_model_registry[proposals.model](checkpoint=None)
    load_strictly(model, state, checkpoint, f"SAM1 {proposals.model}",
                  "set `model` under `sam1:` to the checkpoint's size")
    return model.to(device).eval()


def write_random_sam1_checkpoint(model: str, dest: Path, seed: int = 0) -> Path:
    """A randomly initialised SAM1 of `model` saved as Meta publishes them (a state dict). For
    tests only: it exercises the code, never stands in for SAM1's weights."""
    import torch
    from segment_anything import sam_model_registry

    from replication.core.atomic import atomic_path

    torch.manual_seed(seed)
    with atomic_path(dest) as tmp:
        torch.save(sam_model_registry[model](checkpoint=None).state_dict(), tmp)
    return Path(dest)
