"""Make mmsegmentation 1.2.2 importable on mmcv-lite (mmcv without compiled ops).

mmseg 1.2.2 needs mmcv >=2.0.0rc4,<2.2.0, which has no wheel for torch 2.14. We install
`mmcv-lite==2.1.0` (pure Python, seconds) instead of compiling full mmcv (~10 minutes on 2 cores,
needs -std=c++20) because none of our models needs a compiled op. But four mmseg modules import
`mmcv.ops` unguarded (utils/mask_classification.py, models/utils/point_sample.py,
models/losses/focal_loss.py, models/decode_heads/san_head.py), and mmcv-lite's `mmcv/ops/__init__`
fails on the missing `mmcv._ext`. `install()` registers an `mmcv.ops` package that offers what
those imports need: `point_sample` (mmcv's own pure-PyTorch code, loaded from mmcv-lite's file)
and `sigmoid_focal_loss`, which mmseg calls only on CUDA tensors and which raises a clear error
(on CPU mmseg takes its own pure-PyTorch path, which in 1.2.2 mis-slices 1-D targets:
`target[:, num_classes]`; our configs do not use focal loss). Any other op raises
ModuleNotFoundError, which mmseg's guarded imports (cc_head, psa_head, point_head) expect. With
full mmcv installed it does nothing.
"""
from __future__ import annotations

import importlib
import sys
import types


def install() -> None:
    """Idempotently make `import mmseg.models` / `mmseg.apis` / `mmseg.datasets` work."""
    if "mmcv.ops" in sys.modules:
        return
    try:
        importlib.import_module("mmcv.ops")
        return
    except ModuleNotFoundError as exc:
        if "mmcv._ext" not in str(exc):
            raise
    import mmcv

    ops = types.ModuleType("mmcv.ops")
    ops.__path__ = [f"{mmcv.__path__[0]}/ops"]  # submodules load without the failing __init__
    ops.__doc__ = "mmcv-lite compatibility shim installed by replication.mmseg_compat"
    sys.modules["mmcv.ops"] = ops
    mmcv.ops = ops
    ops.point_sample = importlib.import_module("mmcv.ops.point_sample").point_sample
    ops.sigmoid_focal_loss = _sigmoid_focal_loss_unavailable
    ops.__getattr__ = _compiled_op_unavailable


def _compiled_op_unavailable(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    # ModuleNotFoundError, as the real package raises: mmseg's guarded imports catch exactly it
    raise ModuleNotFoundError(f"mmcv.ops.{name} needs compiled mmcv ops, which mmcv-lite lacks")


def _sigmoid_focal_loss_unavailable(*args, **kwargs):
    raise RuntimeError(
        "mmcv.ops.sigmoid_focal_loss needs compiled mmcv ops, which mmcv-lite lacks; "
        "mmseg's FocalLoss uses its pure-PyTorch version for CPU tensors. For CUDA focal loss, "
        "install full mmcv 2.1.0 compiled from source (`-std=c++20` for torch 2.14)")
