"""The prepared GPU check (one short run on a CUDA machine without network): SAM2 masklets on
CUDA, in-process and through a one-node Ray cluster, and SAM2's speed at fixed masklet counts.

Builds RANDOMLY INITIALISED SAM2.1 tiny and large checkpoints from the sam2 package's configs
(no weights are downloaded; the figures are speed only), runs `vss masks --source sam2` on two
short CamVid videos (the first 16 frames of each test video) on the GPU in this process and on
a Ray cluster it starts (`ray start --head`, one GPU worker), checks that both give the same
bytes, times `benchmarks/sam2_refine_fps.py` at 20, 50 and 100 masklets for both models (bfloat16
autocast) with SAM2's compiled predictor (`vos_optimized`) off and on, fits each frame's cost
E + n x M, and writes every figure to one JSON. Budgeted for under 8 minutes on an H100.

    .venv/bin/python benchmarks/gpu_check.py --camvid data/camvid --out gpu_check.json
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.sam2_refine_fps import fit_cost, measure  # noqa: E402
from replication.data.registry import get_dataset  # noqa: E402
from replication.experiments.ci_profile import make_subset  # noqa: E402
from replication.masks.sam2.checkpoint import write_random_checkpoint  # noqa: E402

MODELS = {"tiny": "configs/sam2.1/sam2.1_hiera_t.yaml",
          "large": "configs/sam2.1/sam2.1_hiera_l.yaml"}


def vss(*args) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "replication", *map(str, args)], check=True,
                   cwd=REPO)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camvid", type=Path, default=REPO / "data/camvid")
    parser.add_argument("--out", type=Path, default=REPO / "gpu_check.json")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("gpu_check: torch sees no GPU")
    figures = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "weights": "RANDOM (speed only)"}
    full = get_dataset("camvid", args.camvid)
    subset = {"val": [f.stem for f in full.videos("val")[0].frames[:32]],
              "test": [f.stem for v in full.videos("test") for f in v.frames[:16]]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = make_subset(args.camvid, tmp / "camvid", subset)
        data = ["--dataset", "camvid", "--root", root, "--splits", "test", "--device", "cuda"]
        for size, config in MODELS.items():
            checkpoint = write_random_checkpoint(config, tmp / f"random_{size}.pt")
            sam2 = ["--source", "sam2", "--sam2-config", config, "--sam2-checkpoint",
                    checkpoint, "--points-per-side", 16, "--pred-iou-thresh", 0,
                    "--stability-score-thresh", 0, "--max-masklets", 50]
            here = vss("masks", *data, *sam2, "--out", tmp / f"{size}-here")
            ray = subprocess.run([str(Path(sys.executable).with_name("ray")), "start",
                                  "--head", "--num-gpus", "1", "--include-dashboard", "false",
                                  "--disable-usage-stats"], capture_output=True, text=True)
            try:
                there = vss("masks", *data, *sam2, "--out", tmp / f"{size}-ray", "--executor",
                            "ray", "--ray-address", "auto")
            finally:
                subprocess.run([str(Path(sys.executable).with_name("ray")), "stop", "--force"],
                               capture_output=True)
            same = all((tmp / f"{size}-here" / p.relative_to(tmp / f"{size}-ray")).read_bytes()
                       == p.read_bytes() for p in (tmp / f"{size}-ray").rglob("*.json.gz"))
            figures[f"masks_{size}"] = {"frames": 32, "seconds_in_process": round(here, 1),
                                        "seconds_on_ray": round(there, 1),
                                        "ray_start_ok": ray.returncode == 0,
                                        "identical_files": same}
            for vos in (False, True):
                rows = [measure(get_dataset("camvid", root), config, checkpoint, frames=16,
                                window=16, masklets=count, device="cuda", vos_optimized=vos)
                        for count in (20, 50, 100)]
                figures[f"fps_{size}_vos_{'on' if vos else 'off'}"] = {
                    "rows": rows, "cost": fit_cost(rows)}
                args.out.write_text(json.dumps(figures, indent=2) + "\n")  # done so far
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
