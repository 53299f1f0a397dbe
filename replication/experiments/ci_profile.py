"""The CI regression profile: the whole pipeline in miniature, compared with committed metrics.

On a few CamVid frames, in three tiers that hold on any CPU:
- exact (made without any network): the degraded ground truth and its refinements with oracle
  and superpixel masklets; must match the reference to 1e-9.
- frozen models: a small committed Fast-SCNN checkpoint (fp16, `tests/ci/fastscnn.pth`) and a
  masklet classifier trained on its features (`tests/ci/classifier.pt`), from which the
  baseline, refined and classifier rows are made. Inference from fixed weights repeats across
  CPUs (the tolerances in `tests/ci/tolerances.json` are measured, see `cross_cpu`).
- random-weight SAM2: masklets of a randomly initialised SAM2.1 hiera-tiny on the two test frames
  (rows named `*-sam2-random`: they exercise the SAM2 code and mean nothing; they never appear in
  the default reports).
Training is not compared with stored numbers (it follows another float path on every CPU); the
tests check it by behaviour. `compare` lists every difference from the reference readably.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

from replication.metrics.specs import MetricSettings

REPO = Path(__file__).resolve().parents[2]
CI_DIR = REPO / "tests" / "ci"
CHECKPOINT = CI_DIR / "fastscnn.pth"
CLASSIFIER = CI_DIR / "classifier.pt"
SUBSET = {"train": ["0001TP_006690", "0006R0_f00930", "0016E5_00390", "0016E5_00420"],
          "val": ["0016E5_07959", "0016E5_07961", "0016E5_07963"],
          "test": ["Seq05VD_f00000", "Seq05VD_f00030"]}
# the profile's val clip: 12 frames at 15 Hz, so that mVC8 has windows to score
PROFILE_SUBSET = {**SUBSET, "val": [f"0016E5_{n:05d}" for n in range(7959, 7983, 2)]}
SAM2_CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"
SPLITS = ["val", "test"]
SAM2_SPLITS = ["test"]  # the random-weight SAM2 runs on the two test frames only
# the profile's pipeline as params (replication.pipeline.specs makes its methods from them); the
# degraded ground truth is also refined, so that rows made without any network are refined too
PARAMS = {"reference_methods": {"gt-degraded": {"downscale": 4, "jitter": 2}},
          "baselines": {"fastscnn": {}}, "refine": {"sources": ["oracle", "superpixel"]},
          "classify": {"sources": ["oracle"], "baseline_features": ["fastscnn"]}}
REFINED_REFERENCE = ("gt-degraded", ("oracle", "superpixel", "sam2-random"))
MASKS = ("oracle", "superpixel", "sam2-random")
# how the committed models were made (`vss ci-profile --make-models`); see tests/ci/models.json
MODEL_RECIPE = {"fastscnn": {"iterations": 1000, "batch": 4, "crop": (180, 240),
                             "scale": (0.5, 1.5), "lr": 2e-3, "seed": 0},
                "classifier": {"hidden": (32,), "epochs": 40, "seed": 0, "ensemble": 1}}


def make_subset(camvid_root: Path, dest: Path, subset: dict = SUBSET) -> Path:
    """A CamVid folder in the real layout holding only the `subset` frames of each split."""
    for split, stems in subset.items():
        for folder in (split, f"{split}annot"):
            (dest / folder).mkdir(parents=True, exist_ok=True)
            for stem in stems:
                shutil.copyfile(Path(camvid_root) / folder / f"{stem}.png",
                                dest / folder / f"{stem}.png")
    return dest


class Profile:
    """The profile's data and masklets in `work` (made once), and its methods' predictions."""

    def __init__(self, camvid_root: Path, work: Path):
        from replication.data.camvid import CamVid

        self.work = Path(work)
        self.dataset = CamVid(make_subset(camvid_root, self.work / "camvid", PROFILE_SUBSET))
        self.masks = self.work / "masks" / "camvid"
        self.predictions = self.work / "predictions" / "camvid"
        self.results = self.work / "results"
        self.counts = self.work / "counts" / "camvid"

    def make_masks(self) -> None:
        """Oracle and superpixel masklets of every split; random-weight SAM2 on the test frames."""
        from replication.core.atomic import write_json
        from replication.data.dataset import split_videos
        from replication.masks.generate import generate
        from replication.masks.oracle import Oracle
        from replication.masks.sam2.checkpoint import write_random_checkpoint
        from replication.masks.sam2.source import SAM2Source
        from replication.masks.stats import masklet_stats
        from replication.masks.superpixel import Superpixel

        random_sam2 = write_random_checkpoint(SAM2_CONFIG, self.work / "random_sam2.1_hiera_t.pt")
        sam2 = SAM2Source(SAM2_CONFIG, random_sam2, points_per_side=4, pred_iou_thresh=0,
                          stability_score_thresh=0, max_masklets=8, device="cpu")
        for name, source in (("oracle", Oracle()), ("superpixel", Superpixel()),
                             ("sam2-random", sam2)):
            splits = SAM2_SPLITS if name == "sam2-random" else ["train", *SPLITS]
            generate(source, self.dataset, splits, self.masks / name)
            write_json(self.results / "masks" / "camvid" / f"{name}.json",
                       masklet_stats(self.masks / name, split_videos(self.dataset, splits)))

    def predict(self, out: Path, checkpoint: Path = CHECKPOINT,
                classifier: Path = CLASSIFIER) -> dict[str, tuple[Path, list[str], dict]]:
        """Every method's predictions under `out`, made as their stages make them:
        {method: (folder, splits, what it is)}."""
        from baselines.predict import predict
        from replication.approaches.classify import predict_classifier
        from replication.approaches.features import BaselineEncoder
        from replication.approaches.refine import refine_predictions
        from replication.core.settings import from_flags
        from replication.data.degrade import DegradeSettings, write_reference_predictions

        out, data, made = Path(out), self.dataset, {}
        for spec in profile_methods():
            splits = SAM2_SPLITS if spec.source == "sam2-random" else SPLITS
            folder = out / spec.name
            if spec.kind == "reference":
                settings = from_flags(DegradeSettings, PARAMS["reference_methods"][spec.name])
                write_reference_predictions(data, splits, folder, settings)
            elif spec.kind == "baseline":
                predict(checkpoint, data, splits, folder, device="cpu")
            elif spec.kind == "refine":
                refine_predictions(out / spec.baseline, self.masks / spec.source, data, splits,
                                   folder, vote=spec.vote)
            else:
                encoder = BaselineEncoder(checkpoint, data.num_classes, device="cpu")
                predict_classifier(classifier, data, splits, self.masks / spec.source, encoder,
                                   folder)
            made[spec.name] = (folder, splits, spec.describe())
        return made

    def score(self, methods: dict[str, tuple[Path, list[str], dict]],
              settings: MetricSettings | None = None) -> dict[str, dict]:
        """Headline metrics per method and split (timings left out: they vary between runs);
        full results go to `results/camvid/` and `counts/camvid/` for the report."""
        from replication.core.atomic import write_json
        from replication.metrics.counts import save, split_off
        from replication.metrics.evaluate import evaluate_dataset
        from replication.metrics.specs import headline_metrics

        headline = {}
        for name, (folder, splits, what) in methods.items():
            result = evaluate_dataset(folder, self.dataset, splits, settings, progress=False)
            bare, units = split_off(result)
            save(self.counts / f"{name}.npz", units)
            write_json(self.results / "camvid" / f"{name}.json",
                       {**bare, "method": what, "roles": {"region": "test", "temporal": "val"}})
            headline[name] = {s: headline_metrics(result[s]) for s in splits}
        return headline

    def report(self) -> list[Path]:
        from replication.report.build import build_report

        params = {**PARAMS, "datasets": ["camvid"], "benchmarks": {"camvid": {
            "root": str(self.dataset.root), "eval": SPLITS}},
            "masks": {name: {} for name in MASKS},
            "report": {"qualitative": {"dataset": "camvid",
                                       "frames": ["0016E5_07961", "Seq05VD_f00030"],
                                       "methods": ["fastscnn", "fastscnn+refine-superpixel"],
                                       "masks": "superpixel"},
                       "render": {"videos": 1, "gif_frames": 4}}}
        return build_report(self.results, self.work / "reports", params, resamples=200,
                            predictions=self.predictions.parent, masks=self.masks.parent,
                            counts=self.counts.parent)


def profile_methods() -> list:
    """The profile's method specs: those of its params, and the refined reference."""
    from replication.pipeline.specs import methods, refinement

    base, sources = REFINED_REFERENCE
    return [*methods(PARAMS, "camvid").values(),
            *(refinement(base, source, "camvid") for source in sources)]


def run_profile(camvid_root: Path, work: Path) -> dict[str, dict]:
    """Run the whole profile in `work`; returns {method: {split: headline metrics}}."""
    profile = Profile(camvid_root, work)
    profile.make_masks()
    headline = profile.score(profile.predict(profile.predictions))
    profile.report()
    return headline


def make_models(camvid_root: Path, work: Path, out_dir: Path = CI_DIR) -> dict:
    """Train the profile's committed models: Fast-SCNN on the full CamVid train split (stored
    in fp16), then the masklet classifier on the profile's train masklets and that model's
    features. Returns what was made (also written to `models.json`)."""
    import torch

    from baselines import checkpoint as baseline_checkpoint
    from baselines.train import TrainSettings, train
    from replication.approaches import classify
    from replication.approaches.features import BaselineEncoder
    from replication.core.atomic import write_json
    from replication.data.camvid import CamVid

    work, out_dir = Path(work), Path(out_dir)
    recipe = MODEL_RECIPE["fastscnn"]
    full = work / "fastscnn-fp32"
    meta = train("fastscnn", CamVid(camvid_root), "train", TrainSettings(**recipe), full,
                 work / "fastscnn.csv", device="cpu")
    state = baseline_checkpoint.load(full)
    half = {k: v.half() if v.is_floating_point() else v for k, v in state["state_dict"].items()}
    baseline_checkpoint.save(out_dir / CHECKPOINT.name, half,
                             **{k: v for k, v in state.items() if k not in ("state_dict",)})
    profile = Profile(camvid_root, work)
    profile.make_masks()
    encoder = BaselineEncoder(out_dir / CHECKPOINT.name, 11, device="cpu")
    settings = classify.ClassifierSettings(**MODEL_RECIPE["classifier"])
    classify.train_classifier(profile.dataset, "train", profile.masks / "oracle", encoder,
                              work / "classifier", work / "classifier.csv", settings)
    shutil.copyfile(work / "classifier" / classify.MODEL_FILE, out_dir / CLASSIFIER.name)
    made = {"recipe": {k: {n: list(v) if isinstance(v, tuple) else v for n, v in r.items()}
                       for k, r in MODEL_RECIPE.items()},
            "fastscnn": {"train_seconds": meta["seconds"], "device": meta["device"],
                         "bytes": (out_dir / CHECKPOINT.name).stat().st_size,
                         "torch": torch.__version__},
            "classifier": {"bytes": (out_dir / CLASSIFIER.name).stat().st_size},
            "how": "vss ci-profile --camvid CAMVID --work build/ci-models --make-models"}
    write_json(out_dir / "models.json", made)
    return made


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


def deviations(runs: dict[str, dict], reference: dict) -> dict[str, dict[str, float]]:
    """The largest absolute deviation from `reference` of each method's metrics, per run
    ({setting: headline}): the measurements behind the tolerances."""
    out = {}
    for setting, headline in runs.items():
        out[setting] = {}
        for method, splits in reference.items():
            worst = 0.0
            for split, metrics in splits.items():
                for metric, want in metrics.items():
                    got = headline.get(method, {}).get(split, {}).get(metric)
                    if got is None or (math.isnan(want) and math.isnan(got)):
                        continue
                    worst = max(worst, abs(got - want))
            out[setting][method] = worst
    return out


def _close(a: float, b: float, tolerance: float) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return abs(a - b) <= tolerance


def load_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())
