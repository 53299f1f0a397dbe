"""The report's figures (PNG, seaborn/matplotlib): per-class bars, mBIoU against the boundary
band width, per-video mVC, training curves, and qualitative overlays of a few fixed frames."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from replication.core.atomic import atomic_path
from replication.report.collect import Results


def pyplot():
    """matplotlib (headless) and seaborn, themed as every figure of the report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def save_png(fig, path: Path) -> Path:
    """Write a figure as PNG, atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    return path


def per_class_bars(results: Results, out: Path) -> list[Path]:
    """Per baseline: per-class IoU and boundary IoU of the baseline and its refined versions
    (on the region split)."""
    plt, sns = pyplot()
    split = results.region
    paths = []
    for base in results.of_kind("baseline", "external"):
        group = [base] + [m for m in results.of_kind("refine")
                          if m.baseline == base.name and m.ran]
        rows = [{"method": m.name, "class": c, "metric": metric, "value": 100 * v[metric]}
                for m in group if split in m.result
                for c, v in m.result[split]["per_class"].items() for metric in ("IoU", "BIoU")]
        if not rows:
            continue
        data = pd.DataFrame(rows)
        fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
        for ax, metric in zip(axes, ("IoU", "BIoU")):
            sns.barplot(data=data[data.metric == metric], x="class", y="value", hue="method",
                        ax=ax)
            ax.set_ylabel(f"{metric} (%)")
            ax.set_xlabel("")
            ax.legend(fontsize=8, loc="upper right")
        axes[0].set_title(f"Per-class IoU and boundary IoU, {results.dataset} {split}: "
                          f"{base.name} and its refined versions")
        axes[1].tick_params(axis="x", rotation=30)
        paths.append(save_png(fig, out / f"{results.dataset}_per_class_{base.name}.png"))
        plt.close(fig)
    return paths


def band_width_curve(results: Results, out: Path) -> Path | None:
    """mBIoU as a function of the boundary band width d (as % of the image diagonal)."""
    plt, sns = pyplot()
    split = results.region
    rows = [{"method": m.name, "d (% of diagonal)": 100 * float(ratio), "mBIoU (%)": 100 * v}
            for m in results.methods.values() if m.ran and m.kind != "reference"
            for ratio, v in m.result.get(split, {}).get("boundary_sweep", {}).items()]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sns.lineplot(data=pd.DataFrame(rows), x="d (% of diagonal)", y="mBIoU (%)", hue="method",
                 marker="o", ax=ax)
    ax.set_title(f"Boundary IoU against band width, {results.dataset} {split}")
    ax.legend(fontsize=8)
    path = save_png(fig, out / f"{results.dataset}_mbiou_vs_band_width.png")
    plt.close(fig)
    return path


def per_video_vc(results: Results, out: Path) -> Path | None:
    """The temporal metrics (mVC8, mVC16, TC) of every video of the temporal split, per
    method."""
    plt, sns = pyplot()
    split = results.temporal
    temporal = [n for n, spec in results.specs.items() if spec.role == "temporal"]
    ran = [m for m in results.methods.values() if split and m.ran and m.kind != "reference"]
    rows = [{"method": m.name, "video": video, "metric": key, "value": 100 * v[key]}
            for m in ran for video, v in m.result.get(split, {}).get("per_video", {}).items()
            for key in v if key in temporal and v[key] == v[key]]
    rows += [{"method": m.name, "video": video, "metric": "TC", "value": 100 * tc}
             for m in ran for video, tc in (m.result.get(split, {}).get("tc") or {}).get(
                 "per_video", {}).items() if tc == tc]
    if not rows:
        return None
    data = pd.DataFrame(rows)
    data["video / metric"] = data.video + " " + data.metric
    fig, ax = plt.subplots(figsize=(9, 0.35 * data.method.nunique() + 2.5))
    sns.barplot(data=data, y="method", x="value", hue="video / metric", ax=ax)
    ax.set_xlabel("VC, TC (%)")
    ax.set_title(f"Per-video temporal consistency (mVC8, mVC16, TC), {results.dataset} {split}")
    ax.legend(fontsize=8, loc="lower right")
    path = save_png(fig, out / f"{results.dataset}_per_video_vc.png")
    plt.close(fig)
    return path


def training_curves(results: Results, out: Path) -> Path | None:
    """Loss curves of the baselines (per iteration) and classifiers (per epoch)."""
    plt, _ = pyplot()
    curves = {name: pd.read_csv(path) for name, path in results.curves.items()}
    curves = {name: c for name, c in curves.items() if len(c)}
    if not curves:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for name, c in curves.items():
        ax, x = (axes[1], "epoch") if "epoch" in c else (axes[0], "iteration")
        ax.plot(c[x], c["loss"], label=name)
        ax.set_xlabel(x)
    for ax, title in zip(axes, ("baselines", "masklet classifiers")):
        ax.set_ylabel("training loss")
        ax.set_title(f"Training loss, {results.dataset}: {title}")
        if ax.lines:
            ax.legend(fontsize=8)
    path = save_png(fig, out / f"{results.dataset}_training_curves.png")
    plt.close(fig)
    return path


def qualitative(panels: list[tuple[str, list[tuple[str, np.ndarray]]]], out: Path,
                name: str = "qualitative.png") -> Path:
    """A grid: one row per frame, one column per (title, RGB image) panel."""
    plt, _ = pyplot()
    rows, cols = len(panels), len(panels[0][1])
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False)
    for r, (frame, row) in enumerate(panels):
        for c, (title, image) in enumerate(row):
            axes[r, c].imshow(image)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            axes[r, c].grid(False)
            if r == 0:
                axes[r, c].set_title(title, fontsize=9)
        axes[r, 0].set_ylabel(frame, fontsize=8)
    path = save_png(fig, out / name)
    plt.close(fig)
    return path
