"""Loading SAM2: a checkpoint file read without executing anything, loaded strictly into the
model of a config of the `sam2` package, and the records that name both."""
from __future__ import annotations

import json
from pathlib import Path

from replication.core.errors import InputError, MissingInput, Unavailable

DEFAULT_CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"  # SAM2.1 hiera-tiny, the CPU-sized model


class MissingCheckpoint(Unavailable):
    """No SAM2 checkpoint: the SAM2 rows are reported as not run, with this reason."""

    def __init__(self, reason: str, fix: str = "supply the SAM2 checkpoint (see the reason), "
                                               "then run `dvc repro` again"):
        super().__init__(reason, fix)


def load_sam2(config: str, checkpoint: Path, device: str = "auto", vos_optimized: bool = False,
              image_size: int | None = None):
    """SAM2 video predictor from a package config (e.g. `configs/sam2.1/sam2.1_hiera_t.yaml`)
    and a checkpoint file (`{"model": state_dict}`, as Meta publishes them), loaded strictly;
    `vos_optimized` builds SAM2's compiled predictor (torch.compile; for CUDA); `image_size`
    replaces the config's input size (the weights do not depend on it)."""
    state = read_sam2_checkpoint(checkpoint)
    from hydra.errors import MissingConfigException
    from sam2.build_sam import build_sam2_video_predictor

    from replication.core.device import pick_device

    dev = pick_device(device)
    try:
        overrides = [] if image_size is None else [f"++model.image_size={image_size}"]
        predictor = build_sam2_video_predictor(config, None, device=str(dev),
                                               vos_optimized=vos_optimized,
                                               hydra_overrides_extra=overrides)
    except MissingConfigException as exc:
        raise InputError(f"unknown SAM2 config {config!r}; the sam2 package has "
                         f"{sam2_configs()}") from exc
    load_strictly(predictor, state, checkpoint, f"SAM2 config {config}",
                  "model size and checkpoint must match")
    cast_memory_to_query_dtype(predictor)
    return predictor


def load_strictly(model, state: dict, checkpoint: Path, model_name: str, fix: str) -> None:
    """Load `state` (read from `checkpoint`) into `model` strictly; a mismatch raises
    InputError naming the file, the model and `fix`."""
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise InputError(f"{checkpoint}: does not fit {model_name} "
                         f"({str(exc).splitlines()[0]} ...); {fix}") from exc


def read_sam2_checkpoint(checkpoint: Path) -> dict:
    """The state dict of a SAM2 checkpoint file, read without executing anything; a missing file
    raises MissingCheckpoint, anything but `{"model": {name: tensor}}` ValueError."""
    import torch

    from replication.core.torch_files import load_torch

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
        raise InputError(f"{checkpoint}: a bare state dict; SAM2 checkpoints hold "
                         "{'model': state_dict}: re-save it with "
                         "torch.save({'model': state_dict}, path)")
    model = content.get("model") if isinstance(content, dict) else None
    if not isinstance(model, dict) or not all(torch.is_tensor(v) for v in model.values()):
        keys = sorted(content)[:5] if isinstance(content, dict) else type(content).__name__
        raise InputError(f"{checkpoint}: not a SAM2 checkpoint (no `model` state dict; holds "
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


def how_to_supply(dest: Path, url: str | None = None) -> str:
    source = url or "the SAM2.1 checkpoint of this model size (Meta's SAM2 release)"
    return (f"download {source} to {dest}, or set `checkpoint` of this model under `sam2:` in "
            "params.yaml to a local copy; then run `dvc repro` again")


def checkpoint_from_record(record_path: Path) -> tuple[str, Path]:
    """(config, checkpoint) from the record `vss sam2-checkpoint` wrote; MissingCheckpoint when
    it says there is none (its reason and fix), MissingInput when there is no record."""
    record_path = Path(record_path)
    if not record_path.is_file():
        raise MissingInput(f"{record_path}: no SAM2 checkpoint record; run `dvc repro "
                           f"sam2-checkpoint@{record_path.stem}` (or `vss sam2-checkpoint`) first")
    record = json.loads(record_path.read_text())
    if not record["available"]:
        raise MissingCheckpoint(record["reason"], record["fix"])
    return record["config"], Path(record["checkpoint"])
