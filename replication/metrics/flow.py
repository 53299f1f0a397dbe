"""Dense optical flow between two frames, for TC and the flow-linked masklet source.

`dis` (default): OpenCV's DIS optical flow (weight-free, CPU). `raft`: torchvision's RAFT-large
with weights the user supplies (torchvision's `raft_large` state dict, e.g.
`raft_large_C_T_SKHT_V2-ff5fadd5.pth`; read with tensors only); without them it is unavailable
and the TC rows say "not run". A flow `f` from image `a` to image `b` gives, for each pixel p of
`a`, where it moved in `b`: p + f(p), as RAFT(image1, image2) does in the VSPW toolkit.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from replication.core.errors import InputError, Unavailable

BACKENDS = ("dis", "raft")


class FlowUnavailable(Unavailable):
    """A flow backend that cannot run here (RAFT without weights)."""


def flow_backend(name: str = "dis", weights: Path | None = None, device: str = "auto"):
    """A callable (image_a, image_b) -> (H, W, 2) float32 flow from a to b (RGB uint8)."""
    if name == "dis":
        return DISFlow()
    if name == "raft":
        return RAFTFlow(weights, device)
    raise InputError(f"flow backend must be one of {BACKENDS}, got {name!r}")


class DISFlow:
    """OpenCV DIS optical flow (medium preset) on the grey frames."""

    def __init__(self):
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        grey = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b)]
        return self.dis.calc(grey[0], grey[1], None)

    def __getstate__(self):  # a cv2 object does not pickle: rebuilt where it is used
        return {}

    def __setstate__(self, state):
        self.__init__()


class RAFTFlow:
    """torchvision's RAFT-large (20 iterations, frames padded to a multiple of 8)."""

    def __init__(self, weights: Path | None, device: str = "auto"):
        if weights is None or not Path(weights).is_file():
            raise FlowUnavailable(
                f"{weights or 'no RAFT weights given'}: RAFT needs its weights, which cannot be "
                "downloaded here", "download torchvision's raft_large weights "
                "(raft_large_C_T_SKHT_V2-ff5fadd5.pth) and set `metrics.raft-weights` to the "
                "file, or use the weight-free `tc-flow: dis`")
        import torch
        from torchvision.models.optical_flow import raft_large

        from replication.core.device import pick_device
        from replication.core.torch_files import load_torch

        state = load_torch(weights, "RAFT checkpoint", "use torchvision's raft_large weights")
        self.model = raft_large(weights=None)
        try:
            self.model.load_state_dict(state.get("state_dict", state))
        except RuntimeError as exc:
            raise InputError(f"{weights}: not torchvision's raft_large weights "
                             f"({str(exc).splitlines()[0]})") from exc
        self.device = pick_device(device)
        self.model = self.model.to(self.device).eval()
        self.torch = torch

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        torch = self.torch
        h, w = a.shape[:2]
        ph, pw = -h % 8, -w % 8

        def prepare(x):
            t = torch.from_numpy(x).permute(2, 0, 1)[None].float().to(self.device)
            t = torch.nn.functional.pad(t, (0, pw, 0, ph), mode="replicate")
            return t / 127.5 - 1.0  # torchvision's RAFT takes [-1, 1]

        with torch.no_grad():
            flow = self.model(prepare(a), prepare(b), num_flow_updates=20)[-1]
        return flow[0, :, :h, :w].permute(1, 2, 0).cpu().numpy().astype(np.float32)


def sample_index(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each pixel p samples its warped value, as the VSPW toolkit's `flowwarp` does:
    p + flow(p) normalised by (size - 1) then read by `grid_sample(nearest,
    align_corners=False)` (whose pixel centres are at (n + 1) * size / 2 - 0.5), in float32,
    rounded half to even. Returns (rows, cols, inside); outside the frame the toolkit reads 0."""
    h, w = flow.shape[:2]
    x = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    y = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    nx = x * np.float32(2.0) / np.float32(max(w - 1, 1)) - np.float32(1.0)
    ny = y * np.float32(2.0) / np.float32(max(h - 1, 1)) - np.float32(1.0)
    px = ((nx + np.float32(1)) * np.float32(w) - np.float32(1)) / np.float32(2)
    py = ((ny + np.float32(1)) * np.float32(h) - np.float32(1)) / np.float32(2)
    return _in_frame(np.rint(py).astype(np.int64), np.rint(px).astype(np.int64))


def follow(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each pixel p lands, p + flow(p), rounded to the nearest pixel: (rows, cols,
    inside), clipped into the frame where `inside` is False."""
    h, w = flow.shape[:2]
    return _in_frame(np.rint(np.arange(h)[:, None] + flow[..., 1]).astype(np.int64),
                     np.rint(np.arange(w)[None, :] + flow[..., 0]).astype(np.int64))


def _in_frame(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, inside) of pixel positions of an (H, W) frame (the arrays' shape): the
    positions clipped into the frame, `inside` where they were in it already."""
    h, w = rows.shape
    inside = (cols >= 0) & (cols < w) & (rows >= 0) & (rows < h)
    return np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1), inside


def warp(labels: np.ndarray, flow: np.ndarray, outside: int = 0) -> np.ndarray:
    """`labels` of frame b brought to frame a along the flow from a to b (nearest), `outside`
    where the flow leaves the frame (the toolkit's zero padding: class 0)."""
    rows, cols, inside = sample_index(flow)
    return np.where(inside, labels[rows, cols], outside).astype(labels.dtype)
