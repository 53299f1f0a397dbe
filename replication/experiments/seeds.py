"""Training noise: every trained row of the pipeline again with another seed.

`replicate` runs the method specs of params (replication.pipeline.specs) that training reaches,
with the library calls their stages make: each baseline made from its recipe with the seed
(trained, from pretrained weights, or adopted: an adopted checkpoint is the same for every
seed), its predictions, its refinements with every masklet source that ran, and every masklet
classifier (its MLP seeded too), each scored as the score stage does. Only the headline metrics
are kept; the report sets the spread across seeds (with the pipeline's own seed) beside the
bootstrap intervals, which measure something else: which frames were sampled.
"""
from __future__ import annotations

from pathlib import Path

from replication.data.dataset import Dataset
from replication.pipeline.params import Benchmark


def replicate(dataset: Dataset, bench: Benchmark, seed: int, params: dict, *, masks_root: Path,
              features_root: Path, work: Path, device: str = "auto") -> dict[str, dict]:
    """{method: {split: headline metrics}} of every trained method of `bench` made with `seed`;
    the pipeline's outputs under `work` (models/, predictions/, curves/). SAM2-feature
    classifiers read the stored features (`features_root/<model>`, as their stage does)."""
    from baselines.predict import predict
    from baselines.train import BaselineRecipe, make_baseline
    from replication.approaches import classify
    from replication.approaches.features import make_encoder
    from replication.approaches.pooled import FeatureStore
    from replication.approaches.refine import decisive_tau, refine_predictions
    from replication.core.not_run import not_run
    from replication.core.settings import from_flags
    from replication.metrics.evaluate import evaluate_dataset
    from replication.metrics.specs import headline_metrics
    from replication.pipeline.params import entry, metric_settings
    from replication.pipeline.specs import methods

    work, masks_root = Path(work), Path(masks_root)
    models, pred, curves = work / "models", work / "predictions", work / "curves"
    splits, settings = bench.splits("eval"), metric_settings(params)
    section = params.get("classify") or {}
    classifier = from_flags(classify.ClassifierSettings, section.get("train") or {},
                            "classify.train", seed=seed)
    encoders, headline = {}, {}
    for name, spec in methods(params, bench.name).items():
        if not spec.trained or (spec.source and not_run(masks_root / spec.source)):
            continue
        if spec.kind == "baseline":
            recipe = BaselineRecipe.from_entry(entry(params, "baselines", name),
                                               f"baselines.{name}", seed=seed)
            make_baseline(recipe, dataset, bench.train, models / name, curves / f"{name}.csv",
                          device=device)
            predict(models / name, dataset, splits, pred / name, device=device)
        elif spec.kind == "refine":
            refine_predictions(pred / spec.baseline, masks_root / spec.source, dataset, splits,
                               pred / name, vote=spec.vote, tau=decisive_tau(params))
        else:
            if spec.features not in encoders:
                stored = Path(features_root) / spec.features
                if spec.encoder != "sam2":
                    encoders[spec.features] = make_encoder(
                        spec.encoder, dataset.num_classes, checkpoint=models / spec.features,
                        device=device)
                elif not stored.is_dir() or not_run(stored):  # none to replicate
                    encoders[spec.features] = None
                else:
                    encoders[spec.features] = FeatureStore(stored)
            if encoders[spec.features] is None:
                continue
            classify.train_classifier(dataset, bench.train, masks_root / spec.source,
                                      encoders[spec.features], models / name,
                                      curves / f"{name}.csv", classifier)
            classify.predict_classifier(models / name / classify.MODEL_FILE, dataset, splits,
                                        masks_root / spec.source, encoders[spec.features],
                                        pred / name, fill=section.get("fill", "nearest"))
        result = evaluate_dataset(pred / name, dataset, splits, settings, progress=False)
        headline[name] = {s: headline_metrics(result[s]) for s in splits}
    return headline

