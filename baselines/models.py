"""Build baseline models from the mmseg configs in `configs/`, completed for a dataset."""
from __future__ import annotations

import logging
from pathlib import Path

from replication.core.errors import InputError

__resources__ = ["configs"]  # the model configs (read by mmengine; see replication.pipeline.deps)
CONFIG_DIR = Path(__file__).resolve().parent / "configs"

# MiT backbones of SegFormer B0..B5 (mmseg configs/segformer): embed_dims, depths, heads.
MIT_SIZES = {
    "b0": (32, [2, 2, 2, 2]), "b1": (64, [2, 2, 2, 2]), "b2": (64, [3, 4, 6, 3]),
    "b3": (64, [3, 4, 18, 3]), "b4": (64, [3, 8, 27, 3]), "b5": (64, [3, 6, 40, 3]),
}


def known_models() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.py"))


def build_config(name: str, num_classes: int, *, class_weight: list[float] | None = None,
                 mit: str | None = None):
    """mmengine Config of baseline `name` for `num_classes` classes (255 = ignore)."""
    from mmengine.config import Config

    if name not in known_models():  # never a path: a config file is executed when read
        raise InputError(f"unknown baseline model {name!r}; known: {known_models()} "
                         f"(configs in {CONFIG_DIR})")
    cfg = Config.fromfile(CONFIG_DIR / f"{name}.py")
    _sync_bn_to_bn([cfg[key] for key in cfg.keys()])
    aux = cfg.model.get("auxiliary_head") or []
    for head in [cfg.model.decode_head, *(aux if isinstance(aux, list) else [aux])]:
        head.num_classes = num_classes
        head.loss_decode.update(use_sigmoid=False, avg_non_ignore=True, class_weight=None)
        if class_weight:
            # mmseg 1.2.2's weighted mean loops over pixels in Python and fails on ignore
            # labels; per-pixel losses (weighted, 0 on ignore) averaged by parse_losses instead
            head.loss_decode.update(class_weight=list(class_weight), reduction="none")
    if mit is not None:
        if cfg.model.backbone.type != "MixVisionTransformer":
            raise InputError(f"`mit: {mit}` applies to segformer, not to {name}")
        if mit not in MIT_SIZES:
            raise InputError(f"unknown MiT size {mit!r}; choose one of {sorted(MIT_SIZES)}")
        dims, depths = MIT_SIZES[mit]
        cfg.model.backbone.update(embed_dims=dims, num_layers=depths)
        cfg.model.decode_head.in_channels = [dims, dims * 2, dims * 5, dims * 8]
    return cfg


def build_model(cfg):
    """The mmseg EncoderDecoder of `cfg`, freshly initialised (no pretrained weights)."""
    from baselines import mmseg_compat

    mmseg_compat.install()
    from mmengine.logging import MMLogger
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # no per-parameter init report
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def load_pretrained_backbone(model, source: str, cache: Path = Path("checkpoints"),
                             trust: bool = False) -> dict:
    """ImageNet-pretrained backbone weights (e.g. mmseg's MiT files for SegFormer) into
    `model.backbone`, read without executing anything; `source` is a file or an http(s) URL
    (downloaded once into `cache`). Returns what was loaded; nothing fitting is an error."""
    from urllib.parse import urlparse

    from replication.core.atomic import atomic_path
    from replication.core.hashing import download, sha256_file
    from replication.core.torch_files import load_torch

    path = Path(source)
    if source.startswith(("http://", "https://")):
        path = Path(cache) / Path(urlparse(source).path).name
        if not path.is_file():
            try:
                with atomic_path(path) as tmp:
                    download(source, tmp, progress=True)
            except (OSError, ValueError) as exc:
                raise InputError(f"{source}: download of the pretrained backbone failed "
                                 f"({exc}); put the file at {path} or set `pretrained` to a "
                                 "local copy") from exc
    state = load_torch(path, "pretrained backbone", "point `pretrained` at the backbone's "
                       "ImageNet weights (e.g. mmseg's mit_b0 file)", trust=trust,
                       trust_hint="if you trust this file, set `trust: true` in the "
                                  "baseline's entry")
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    state = {k.removeprefix("backbone."): v for k, v in state.items()}
    try:
        missing, unexpected = model.backbone.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches
        raise InputError(f"{path}: does not fit this backbone ({str(exc).splitlines()[1]}); "
                         "wrong file or wrong `mit` size?") from exc
    if len(missing) == len(model.backbone.state_dict()):
        raise InputError(f"{path}: none of its weights fit this backbone (e.g. "
                         f"{next(iter(state), '-')}); wrong file or wrong `mit` size?")
    return {"pretrained": source, "sha256": sha256_file(path), "missing": len(missing),
            "unexpected": len(unexpected)}


def to_input(cfg, images, dev):
    """Float (B, 3, H, W) network input of uint8 RGB frames (B, H, W, 3), normalised with the
    config's mean and std."""
    import torch

    pre = cfg.model.data_preprocessor
    mean = torch.tensor(pre.mean, device=dev).view(1, 3, 1, 1)
    std = torch.tensor(pre.std, device=dev).view(1, 3, 1, 1)
    return (torch.from_numpy(images).to(dev).permute(0, 3, 1, 2).float() - mean) / std


def _sync_bn_to_bn(node) -> None:
    """SyncBN needs a distributed process group; BN is the same layer on one device."""
    if isinstance(node, dict):
        if node.get("type") == "SyncBN":
            node["type"] = "BN"
        for value in node.values():
            _sync_bn_to_bn(value)
    elif isinstance(node, list):
        for value in node:
            _sync_bn_to_bn(value)
