"""Training noise: every trained row of the pipeline again with another seed.

`replicate` trains each baseline with the seed (its recipe from params), predicts, refines with
every masklet source that ran (and the refiner ablations), trains and applies every masklet
classifier (its MLP seeded too), and scores each as the evaluate stage does. Only the headline
metrics are kept; the report sets the spread across seeds (with the pipeline's own seed) beside
the frame-bootstrap intervals, which measure something else: which frames were sampled.
"""
from __future__ import annotations

import json
from pathlib import Path

from replication.data.dataset import Dataset
from replication.params import Benchmark


def recipe(params: dict) -> dict:
    """The params that make the trained rows: a seed run counts only beside rows made with the
    same (the report leaves out runs of another recipe)."""
    return {key: params.get(key) for key in ("baselines", "refine", "classify", "metrics")}


def replicate(dataset: Dataset, bench: Benchmark, seed: int, params: dict, *, masks_root: Path,
              sam2_records: Path, work: Path, device: str = "auto") -> dict[str, dict]:
    """{method: {split: headline metrics}} of every trained method of `bench` made with `seed`;
    `params` holds the pipeline's sections (baselines, refine, classify, metrics)."""
    from baselines.predict import predict
    from baselines.train import TrainSettings, train
    from replication.approaches import classify
    from replication.approaches.features import BaselineEncoder, SAM2Encoder
    from replication.approaches.refine import refine_predictions
    from replication.metrics.evaluate import evaluate_dataset, headline_metrics
    from replication.params import evaluate_options, from_flags

    work, masks_root = Path(work), Path(masks_root)
    models, pred = work / "models", work / "predictions"
    splits, train_split = bench.splits("eval"), bench.train
    options = evaluate_options(params["metrics"])
    headline = {}

    def score(name: str) -> None:
        result = evaluate_dataset(pred / name, dataset, splits, progress=False, **options)
        headline[name] = {s: headline_metrics(result[s]) for s in splits}

    refine = params["refine"]
    refinements = [(f"+refine-{s}", s, "masklet") for s in refine["sources"]]
    refinements += [(f"+refine-{s}-vote-frame", s, "frame") for s in refine["vote_ablation"]]
    for name, recipe in params["baselines"].items():
        settings = from_flags(TrainSettings, recipe["train"], seed=seed)
        train(recipe["net"]["model"], dataset, train_split, settings, models / name,
              work / "curves" / f"{name}.csv", device=device, mit=recipe["net"].get("mit"))
        predict(models / name, dataset, splits, pred / name, device=device)
        score(name)
        for suffix, source, vote in refinements:
            if (masks_root / source / "NOT_RUN.json").is_file():
                continue
            refine_predictions(pred / name, masks_root / source, dataset, splits,
                               pred / (name + suffix), vote=vote)
            score(name + suffix)
    settings = from_flags(classify.Settings, params["classify"]["train"], seed=seed)
    encoders = {f: lambda f=f: BaselineEncoder(models / f, dataset.num_classes, device)
                for f in params["classify"]["baseline_features"]}
    for name in params["classify"]["sam2_features"]:
        record = json.loads((Path(sam2_records) / f"{name}.json").read_text())
        if record["available"]:
            encoders[name] = lambda r=record: SAM2Encoder(r["config"], Path(r["checkpoint"]),
                                                          device)
    for features, make_encoder in encoders.items():
        encoder = make_encoder()
        for source in params["classify"]["sources"]:
            if (masks_root / source / "NOT_RUN.json").is_file():
                continue
            name = f"classify-{source}-{features}"
            classify.train_classifier(dataset, train_split, masks_root / source, encoder,
                                      {"features": features}, models / name,
                                      work / "curves" / f"{name}.csv", settings)
            classify.predict_classifier(models / name / classify.MODEL_FILE, dataset, splits,
                                        masks_root / source, encoder, pred / name,
                                        fill=params["classify"]["fill"])
            score(name)
    return headline
