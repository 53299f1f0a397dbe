"""The CI regression profile: the whole pipeline in miniature, compared with committed metrics.

On a few CamVid frames: the degraded ground truth (deterministic), a Fast-SCNN trained for a few
iterations, oracle and superpixel masklets, SAM2 masklets from a RANDOMLY INITIALISED SAM2 on the
two test frames (rows named `*-sam2-random`: they exercise the SAM2 code and mean nothing; they
never appear in the default reports), the refiner, the masklet classifier, evaluation and the
report. `compare` checks the headline metrics against `tests/ci/reference_metrics.json` with the
per-metric tolerances in `tests/ci/tolerances.json` and lists every difference readably.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

SUBSET = {"train": ["0001TP_006690", "0006R0_f00930", "0016E5_00390", "0016E5_00420"],
          "val": ["0016E5_07959", "0016E5_07961", "0016E5_07963"],
          "test": ["Seq05VD_f00000", "Seq05VD_f00030"]}
# the profile's val clip: 12 frames at 15 Hz, so that mVC8 has windows to score
PROFILE_SUBSET = {**SUBSET, "val": [f"0016E5_{n:05d}" for n in range(7959, 7983, 2)]}
SAM2_CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"


def make_subset(camvid_root: Path, dest: Path, subset: dict = SUBSET) -> Path:
    """A CamVid folder in the real layout holding only the `subset` frames of each split."""
    for split, stems in subset.items():
        for folder in (split, f"{split}annot"):
            (dest / folder).mkdir(parents=True, exist_ok=True)
            for stem in stems:
                shutil.copyfile(Path(camvid_root) / folder / f"{stem}.png",
                                dest / folder / f"{stem}.png")
    return dest


def run_profile(camvid_root: Path, work: Path) -> dict[str, dict]:
    """Run the profile in `work`; returns {method: headline metrics per split}."""
    from replication.cli import main
    from replication.masks.checkpoint import write_random_checkpoint

    work = Path(work)
    root = make_subset(camvid_root, work / "camvid", PROFILE_SUBSET)
    data = ["--dataset", "camvid", "--root", str(root)]
    pred, masks, res = work / "predictions", work / "masks", work / "results"

    def vss(*args) -> None:
        if main([str(a) for a in args]) != 0:
            raise RuntimeError(f"vss {' '.join(map(str, args))} failed")

    vss("degrade", *data, "--out", pred / "gt-degraded", "--downscale", 4, "--jitter", 2)
    vss("train", "--model", "fastscnn", *data, "--iterations", 60, "--batch", 2, "--crop", 96,
        128, "--lr", 0.01, "--device", "cpu", "--out", work / "fastscnn.pth",
        "--curve", res / "training/camvid/fastscnn.csv", "--log-every", 10)
    vss("predict", "--checkpoint", work / "fastscnn.pth", *data, "--device", "cpu",
        "--out", pred / "fastscnn")
    for source in ("oracle", "superpixel"):
        vss("masks", *data, "--splits", "train", "val", "test", "--source", source,
            "--out", masks / source, "--stats", res / f"masks/camvid/{source}.json")
    checkpoint = write_random_checkpoint(SAM2_CONFIG, work / "random_sam2.1_hiera_t.pt")
    vss("masks", *data, "--splits", "test", "--source", "sam2", "--sam2-checkpoint", checkpoint,
        "--points-per-side", 4, "--pred-iou-thresh", 0, "--stability-score-thresh", 0,
        "--max-masklets", 8, "--device", "cpu",
        "--out", masks / "sam2-random", "--stats", res / "masks/camvid/sam2-random.json")
    methods = ["gt-degraded", "fastscnn"]
    for base in ("gt-degraded", "fastscnn"):
        for source in ("oracle", "superpixel"):
            methods.append(f"{base}+refine-{source}")
            vss("refine", *data, "--pred", pred / base, "--masks", masks / source,
                "--out", pred / methods[-1])
    methods.append("gt-degraded+refine-sam2-random")
    vss("refine", *data, "--splits", "test", "--pred", pred / "gt-degraded",
        "--masks", masks / "sam2-random", "--out", pred / methods[-1])
    encoder = ["--features", "baseline", "--checkpoint", work / "fastscnn.pth", "--device", "cpu"]
    methods.append("classify-oracle-fastscnn")
    vss("classify", "train", *data, "--masks", masks / "oracle", *encoder, "--epochs", 5,
        "--hidden", 32, "--out", work / "classifier",
        "--curve", res / "training/camvid/classify-oracle-fastscnn.csv")
    vss("classify", "predict", *data, "--masks", masks / "oracle", *encoder,
        "--model", work / "classifier", "--out", pred / methods[-1])
    headline = {}
    for method in methods:
        splits = ["test"] if method.endswith("sam2-random") else ["val", "test"]
        vss("evaluate", *data, "--splits", *splits, "--pred", pred / method,
            "--out", res / f"camvid/{method}.json", "--metrics", work / f"headline/{method}.json",
            "--quiet")
        scores = json.loads((work / f"headline/{method}.json").read_text())
        scores.pop("fps", None)  # timing varies between runs
        headline[method] = scores
    vss("report", "--results", res, "--out", work / "reports", "--resamples", 200,
        "--root", root, "--frames", "0016E5_07961", "Seq05VD_f00030", "--predictions", pred,
        "--methods", "fastscnn", "fastscnn+refine-superpixel", "--masks", masks / "superpixel")
    return headline


def compare(current: dict, reference: dict, tolerances: dict) -> list[str]:
    """Readable differences between two {method: {split: {metric: value}}} trees: a method or
    metric missing on either side, or a value off by more than its tolerance."""
    problems = []
    for method in sorted(set(reference) | set(current)):
        if method not in current or method not in reference:
            side = "the run" if method not in current else "the reference"
            problems.append(f"{method}: missing from {side}")
            continue
        tolerance = tolerances.get(method, tolerances["default"])
        for split in sorted(set(reference[method]) | set(current[method])):
            want, got = reference[method].get(split), current[method].get(split)
            if not isinstance(want, dict) or not isinstance(got, dict):
                if want != got:
                    problems.append(f"{method} {split}: expected {want}, got {got}")
                continue
            for metric in sorted(set(want) | set(got)):
                a, b = want.get(metric), got.get(metric)
                if a is None or b is None:
                    problems.append(f"{method} {split} {metric}: expected {a}, got {b}")
                elif not _close(a, b, tolerance):
                    problems.append(f"{method} {split} {metric}: expected {a:.6f}, got {b:.6f} "
                                    f"(off by {b - a:+.6f}; tolerance {tolerance})")
    return problems


def _close(a: float, b: float, tolerance: float) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return abs(a - b) <= tolerance
