"""Where the masklet classifier's spread comes from: the MLP retrained on fixed features.

With the pipeline's trained baseline and masklets fixed (run `dvc repro` first), the baseline's
features are pooled once per masklet (as `vss features` stores SAM2's), then the classifier
(`vss classify train` + `predict` on those stored features) is trained again under several
seeds and ensemble sizes (`--ensemble`: MLPs per classifier), natively and under an emulated
older CPU (ATEN_CPU_CAPABILITY=default, ONEDNN and MKL held to AVX2, one thread), and each run
is scored by `vss evaluate`. What moves here is the MLP's own training; what moves beyond it
between machines comes from the baseline's features. Prints one row per run and the mean and
standard deviation per CPU path and size; `--json` appends the rows (with the machine's CPU).
rows. Runs one after another (2 cores: never beside other work).

    python benchmarks/classifier_spread.py --seeds 0 1 2 --ensemble 1 5 \\
        --json docs/classifier-spread.jsonl
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EMULATED = {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "AVX2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2", "OMP_NUM_THREADS": "1"}
PATHS = {"native": {}, "emulated": EMULATED}
METRICS = (("test", "mIoU"), ("test", "mBIoU"), ("val", "mVC8"), ("val", "mVC16"))


def vss(args: list, env: dict) -> None:
    exe = str(Path(sys.executable).with_name("vss"))
    subprocess.run([exe, *map(str, args)], cwd=REPO, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)


def pool_once(args, store: Path) -> None:
    """The baseline's features under the masklets, stored (native CPU path)."""
    import functools

    from replication.approaches.features import make_encoder
    from replication.approaches.pooled import pending, store_features
    from replication.data.registry import get_dataset
    from replication.pipeline.params import benchmark, load

    params = load(REPO / "params.yaml")
    bench = benchmark(params, args.dataset)
    dataset = get_dataset(args.dataset, REPO / bench.root)
    make = functools.partial(make_encoder, "baseline", dataset.num_classes,
                             checkpoint=REPO / checkpoint(args), device="cpu")
    encoder = make()
    splits = list(dict.fromkeys(bench.splits("train") + bench.splits("eval")))
    masks = {Path(masks_of(args)).name: REPO / masks_of(args)}
    todo = pending(encoder.spec, dataset, splits, masks, store)
    store_features(lambda: encoder, encoder.spec, dataset, todo, splits, masks, store)


def checkpoint(args) -> str:
    return args.checkpoint or f"models/{args.dataset}/{args.baseline}"


def masks_of(args) -> str:
    return args.masks or f"masks/{args.dataset}/{args.source}"


def machine() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def one_run(args, path: str, seed: int, ensemble: int, work: Path, store: Path) -> dict:
    common = ["--params", "params.yaml", "--dataset", args.dataset, "--features", "baseline",
              "--checkpoint", checkpoint(args), "--pooled", store, "--masks", masks_of(args),
              "--device", "cpu"]
    model, pred, scored = work / "model", work / "pred", work / "scored.json"
    start = time.perf_counter()
    vss(["classify", "train", *common, "--seed", seed, "--ensemble", ensemble, "--out", model,
         "--curve", work / "curve.csv"], PATHS[path])
    vss(["classify", "predict", *common, "--model", model, "--out", pred], PATHS[path])
    vss(["evaluate", "--params", "params.yaml", "--dataset", args.dataset, "--pred", pred,
         "--out", scored, "--quiet"], {})
    result = json.loads(scored.read_text())
    return {"machine": machine(), "cpu_path": path, "ensemble": ensemble, "seed": seed,
            "seconds": round(time.perf_counter() - start, 1),
            **{f"{split} {metric}": result[split][metric] for split, metric in METRICS},
            "test per_class IoU": {c: v["IoU"] for c, v in result["test"]["per_class"].items()}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="camvid")
    p.add_argument("--baseline", default="fastscnn")
    p.add_argument("--source", default="oracle")
    p.add_argument("--checkpoint", help="the baseline (default: the pipeline's, models/...)")
    p.add_argument("--masks", help="the masklets (default: the pipeline's, masks/...)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--ensemble", type=int, nargs="+", default=[1],
                   help="ensemble sizes to train (MLPs per classifier)")
    p.add_argument("--paths", nargs="+", choices=sorted(PATHS), default=list(PATHS))
    p.add_argument("--json", type=Path, help="also append the rows to this JSON-lines file")
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="vss-spread-") as tmp:
        store = Path(tmp) / "features"
        pool_once(args, store)
        for path, ensemble, seed in itertools.product(args.paths, args.ensemble, args.seeds):
            work = Path(tmp) / f"{path}-{ensemble}-{seed}"
            rows.append(one_run(args, path, seed, ensemble, work, store))
            shown = {k: v for k, v in rows[-1].items() if k != "test per_class IoU"}
            print(json.dumps(shown), flush=True)
            if args.json:
                with args.json.open("a") as fh:
                    fh.write(json.dumps(rows[-1]) + "\n")
    print(f"\nclassify-{args.source}-{args.baseline} ({args.checkpoint or 'the pipeline'}'s "
          "features): mean ± sd over seeds (percent)")
    for path, ensemble in itertools.product(args.paths, args.ensemble):
        ours = [r for r in rows if (r["cpu_path"], r["ensemble"]) == (path, ensemble)]
        cells = [f"{k} {100 * statistics.mean(v):.1f} ± {100 * statistics.stdev(v):.1f}"
                 for k in (f"{s} {m}" for s, m in METRICS)
                 if len(v := [r[k] for r in ours]) > 1]
        print(f"  {path:9s} ensemble {ensemble} ({len(ours)} seeds): " + ", ".join(cells))


if __name__ == "__main__":
    main()
