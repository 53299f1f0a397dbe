"""Plain, slow reference implementations of the metric definitions (docs/metrics.md).

Written from the published code, loop by loop, independently of replication.metrics:
per-class IoU loops, boundary-iou-api's `mask_to_boundary`, VSPW's `VC_perclip.get_common`.
"""
from __future__ import annotations

import cv2
import numpy as np


def mask_to_boundary(mask: np.ndarray, dilation_ratio: float = 0.02) -> np.ndarray:
    """boundary-iou-api (bowenc0221/boundary-iou-api, boundary_iou/utils/boundary_utils.py)."""
    h, w = mask.shape
    img_diag = np.sqrt(h**2 + w**2)
    dilation = int(round(dilation_ratio * img_diag))
    if dilation < 1:
        dilation = 1
    new_mask = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    kernel = np.ones((3, 3), dtype=np.uint8)
    new_mask_erode = cv2.erode(new_mask, kernel, iterations=dilation)
    mask_erode = new_mask_erode[1 : h + 1, 1 : w + 1]
    return mask - mask_erode


def iou_and_biou(frames: list[tuple[np.ndarray, np.ndarray]], num_classes: int,
                 ratio: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """Per-class IoU and boundary IoU pooled over (gt, pred) frames; NaN where union is 0."""
    inter, union = np.zeros(num_classes), np.zeros(num_classes)
    b_inter, b_union = np.zeros(num_classes), np.zeros(num_classes)
    for gt, pred in frames:
        valid = gt != 255
        for c in range(num_classes):
            g, p = (gt == c), (pred == c)
            if not (g.any() or p.any()):  # counts nothing (and an empty mask has no boundary)
                continue
            inter[c] += np.sum(g & p & valid)
            union[c] += np.sum((g | p) & valid)
            bg = mask_to_boundary(g.astype(np.uint8), ratio).astype(bool) & valid
            bp = mask_to_boundary(p.astype(np.uint8), ratio).astype(bool) & valid
            b_inter[c] += np.sum(bg & bp)
            b_union[c] += np.sum(bg | bp)
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / union, b_inter / b_union


def vc_windows(gts: list[np.ndarray], preds: list[np.ndarray], k: int,
               strict: bool = False) -> list[float]:
    """VSPW VC_perclip.get_common: one score per window (NaN for an empty gt_common)."""
    accs = []
    starts = range(len(gts) - k + 1) if strict else range(len(gts) - k)
    for i in starts:
        global_common = np.ones(gts[i].shape, bool)
        pred_global_common = np.ones(gts[i].shape, bool)
        for j in range(1, k):
            global_common &= gts[i] == gts[i + j]
            pred_global_common &= preds[i] == preds[i + j]
        if strict:
            global_common &= gts[i] != 255
        with np.errstate(invalid="ignore", divide="ignore"):
            accs.append(np.sum(pred_global_common & global_common) / np.sum(global_common))
    return accs


def reference_metrics(videos: dict[str, list[tuple[np.ndarray, np.ndarray]]], num_classes: int,
                      ks=(8, 16), ratio: float = 0.02, strict: bool = False) -> dict:
    frames = [f for v in videos.values() for f in v]
    iou, biou = iou_and_biou(frames, num_classes, ratio)
    out = {"IoU": iou, "BIoU": biou, "mIoU": np.nanmean(iou), "mBIoU": np.nanmean(biou)}
    for k in ks:
        scores = []
        for v in videos.values():
            if len(v) > k or (strict and len(v) >= k):
                scores += vc_windows([g for g, _ in v], [p for _, p in v], k, strict)
        scores = np.array(scores, float)
        out[f"mVC{k}"] = np.nanmean(scores) if np.any(~np.isnan(scores)) else np.nan
    return out


def prediction_videos(pred_dir, dataset, split: str) -> dict[str, list]:
    """{video: [(ground truth, prediction)] of its labelled frames} of a prediction folder, read
    with PIL directly (for reference_metrics)."""
    from pathlib import Path

    from PIL import Image

    videos = {}
    for video in dataset.videos(split):
        frames = [f for f in video.frames if f.label is not None]
        videos[video.name] = [
            (dataset.load_label(f),
             np.asarray(Image.open(Path(pred_dir) / video.name / f"{f.stem}.png")))
            for f in frames]
    return videos


def random_video(rng: np.random.Generator, length: int, shape: tuple[int, int], num_classes: int,
                 *, ignore_frac: float = 0.1, change: float = 0.05,
                 absent: tuple[int, ...] = ()) -> list[np.ndarray]:
    """Blocky label maps that drift slowly over time, with ignore regions and absent classes."""
    h, w = shape
    present = [c for c in range(num_classes) if c not in absent]
    coarse = rng.choice(present, size=(max(1, h // 6), max(1, w // 6))).astype(np.uint8)
    frames = []
    for _ in range(length):
        flip = rng.random(coarse.shape) < change
        coarse = np.where(flip, rng.choice(present, size=coarse.shape), coarse).astype(np.uint8)
        frame = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_NEAREST)
        frame[rng.random((h, w)) < ignore_frac * 0.2] = 255
        if ignore_frac:
            y, x = rng.integers(0, h), rng.integers(0, w)
            frame[y : y + h // 4, x : x + w // 4] = 255
        frames.append(frame)
    return frames


def perturb(rng: np.random.Generator, label: np.ndarray, num_classes: int,
            noise: float = 0.05) -> np.ndarray:
    """A plausible prediction: shifted by a pixel or two, with noise and a few 255s."""
    pred = np.roll(label, tuple(rng.integers(-2, 3, size=2)), axis=(0, 1)).copy()
    pred[pred == 255] = rng.integers(0, num_classes)
    noisy = rng.random(label.shape) < noise
    pred[noisy] = rng.integers(0, num_classes, size=int(noisy.sum()))
    pred[rng.random(label.shape) < 0.01] = 255
    return pred.astype(np.uint8)


def reference_tc(videos: dict[str, list[np.ndarray]], flows: dict[str, list[np.ndarray]],
                 num_classes: int) -> float:
    """VSPW's TC_cal.py: each next prediction warped back by its `flowwarp` (torch grid_sample,
    nearest, zero padding), then the toolkit's Evaluator confusion (prediction i as ground
    truth, its values in [0, n) kept) pooled over all pairs, mean IoU over the classes of
    prediction i (confusion row sum > 0: the Evaluator's `isval`)."""
    import torch

    confusion = np.zeros((num_classes, num_classes))
    for name, preds in videos.items():
        for pred, after, flow in zip(preds, preds[1:], flows[name]):
            x = torch.from_numpy(after)[None, None].float()
            flo = torch.from_numpy(flow).permute(2, 0, 1)[None]
            h, w = after.shape
            xx = torch.arange(0, w).view(1, -1).repeat(h, 1)
            yy = torch.arange(0, h).view(-1, 1).repeat(1, w)
            grid = torch.cat((xx.view(1, 1, h, w), yy.view(1, 1, h, w)), 1).float()
            vgrid = grid + flo
            vgrid[:, 0] = 2.0 * vgrid[:, 0].clone() / max(w - 1, 1) - 1.0
            vgrid[:, 1] = 2.0 * vgrid[:, 1].clone() / max(h - 1, 1) - 1.0
            warped = torch.nn.functional.grid_sample(
                x, vgrid.permute(0, 2, 3, 1), mode="nearest", align_corners=False)
            warped = warped.int().squeeze().numpy()
            for gt_value, pred_value in zip(pred.ravel(), warped.ravel()):
                if gt_value < num_classes and pred_value < num_classes:
                    confusion[gt_value, pred_value] += 1
    # the toolkit's Evaluator.Mean_Intersection_over_Union: `isval` = row sum > 0
    inter = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - inter
    isval = confusion.sum(1) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nansum(inter / union * isval) / isval.sum())
