"""The CI regression profile (replication/ci_profile.py) against the committed reference metrics,
its sensitivity (a band one pixel wider, a flipped tie rule or changed model weights must fail
it, with a readable diff), and training checked by behaviour rather than by stored numbers.

Regenerate the reference after a deliberate change to a metric, the refiner or the classifier:
    vss ci-profile --camvid ../shared/data/camvid --work build/ci \
        --write-reference tests/ci/reference_metrics.json
`scripts/cross_cpu.sh` runs this file under emulated CPUs and measures the tolerances.
"""
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sam2")

from replication.experiments.ci_profile import CHECKPOINT, CI_DIR, Profile, compare, run_profile  # noqa: E402

REFERENCE = json.loads((CI_DIR / "reference_metrics.json").read_text())
TOLERANCES = json.loads((CI_DIR / "tolerances.json").read_text())
EXACT = ["gt-degraded", "gt-degraded+refine-oracle", "gt-degraded+refine-superpixel"]


@pytest.fixture(scope="module")
def profile(tmp_path_factory, camvid_root):
    work = tmp_path_factory.mktemp("ci_profile")
    headline = run_profile(camvid_root, work)
    if os.environ.get("VSS_CI_METRICS_OUT"):  # scripts/cross_cpu.sh collects each setting's run
        Path(os.environ["VSS_CI_METRICS_OUT"]).write_text(json.dumps(headline, indent=2))
    return Profile(camvid_root, work), headline


def test_profile_reproduces_the_reference_metrics(profile):
    prof, headline = profile
    problems = compare(headline, REFERENCE, TOLERANCES)
    assert not problems, "metric regression:\n  " + "\n  ".join(problems)
    # the report is built from the profile's results; its random-weight SAM2 row says so
    refiner = (prof.work / "reports" / "tables" / "refiner.md").read_text()
    assert "| + refine | sam2-random |" in refiner


def regressions(headline: dict) -> list[str]:
    return compare(headline, {m: REFERENCE[m] for m in headline}, TOLERANCES)


def test_a_band_one_pixel_wider_fails_the_profile(profile, monkeypatch):
    from replication.metrics import boundary, region

    prof, _ = profile
    monkeypatch.setattr(region, "boundary_width",
                        lambda h, w, ratio=0.02: boundary.boundary_width(h, w, ratio) + 1)
    methods = {m: (prof.predictions / m, ["val", "test"], {"kind": "reference"}) for m in EXACT}
    problems = regressions(prof.score(methods))
    assert any(p.startswith("gt-degraded test mBIoU: expected 0.677410, got ") for p in problems)
    assert not any("mIoU" in p or "mVC" in p for p in problems)  # only the band changed


def test_a_flipped_tie_rule_fails_the_profile(profile, monkeypatch, tmp_path):
    from replication.approaches import refine

    prof, _ = profile
    monkeypatch.setattr(refine, "majority",  # ties to the highest class instead of the lowest
                        lambda tally: (tally.shape[1] - 1 - tally[:, ::-1].argmax(1)).astype(
                            np.uint8))
    methods = {}
    for source in ("oracle", "superpixel"):
        name = f"gt-degraded+refine-{source}"
        refine.refine_predictions(prof.predictions / "gt-degraded", prof.masks / source,
                                  prof.dataset, ["val", "test"], tmp_path / name)
        methods[name] = (tmp_path / name, ["val", "test"], {"kind": "refine"})
    problems = regressions(prof.score(methods))
    assert problems and all("tolerance 1e-09" in p for p in problems)


def test_changed_checkpoint_predictions_fail_the_profile(profile, tmp_path):
    from baselines import checkpoint
    from baselines.predict import predict

    prof, _ = profile
    state = checkpoint.load(CHECKPOINT)
    bias = "decode_head.conv_seg.bias"
    state["state_dict"][bias] = state["state_dict"][bias].clone()
    state["state_dict"][bias][3] += 0.5  # a little more "Road" everywhere
    checkpoint.save(tmp_path / "changed.pth", state.pop("state_dict"), **state)
    predict(tmp_path / "changed.pth", prof.dataset, ["val", "test"], tmp_path / "fastscnn",
            device="cpu")
    problems = regressions(prof.score({"fastscnn": (tmp_path / "fastscnn", ["val", "test"],
                                                    {"kind": "baseline"})}))
    assert any(p.startswith("fastscnn test mIoU: expected") for p in problems)


# --- training, checked by behaviour (its numbers differ between CPUs) -------------------------

def train_profile_model(camvid_small, out: Path, iterations: int):
    from baselines.train import TrainSettings, train
    from replication.data.camvid import CamVid

    # whole frames at a quarter of their size: the loss falls steadily within 60 iterations
    settings = TrainSettings(iterations=iterations, batch=2, crop=(96, 128), scale=(0.27, 0.27),
                             lr=0.01, log_every=5)
    train("fastscnn", CamVid(camvid_small), "train", settings, out, out.with_suffix(".csv"),
          device="cpu")
    return out


def test_training_twice_in_one_process_gives_identical_weights(tmp_path, camvid_small):
    from baselines import checkpoint

    a = checkpoint.load(train_profile_model(camvid_small, tmp_path / "a", 6))["state_dict"]
    b = checkpoint.load(train_profile_model(camvid_small, tmp_path / "b", 6))["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_training_loss_falls_and_the_checkpoint_round_trips_and_predicts(tmp_path,
                                                                         camvid_small):
    import csv

    from baselines import checkpoint
    from baselines.predict import load_model, predict
    from replication.data.camvid import CamVid
    from replication.data.labels import read_label

    path = train_profile_model(camvid_small, tmp_path / "m", 60)
    losses = [float(r["loss"]) for r in csv.DictReader(path.with_suffix(".csv").open())]
    assert len(losses) == 12 and all(math.isfinite(x) for x in losses)
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]), losses
    model, _, _ = load_model(path, 11, device="cpu")
    saved = checkpoint.load(path)["state_dict"]
    assert all(torch.equal(model.state_dict()[k], v) for k, v in saved.items())
    dataset = CamVid(camvid_small)
    predict(path, dataset, ["test"], tmp_path / "pred", device="cpu")
    labels = [read_label(p) for p in sorted((tmp_path / "pred").glob("*/*.png"))]  # not .confidence
    assert len(labels) == 2 and all(x.shape == (360, 480) and x.max() < 11 for x in labels)


def test_classifier_training_is_repeatable_and_its_loss_falls():
    from replication.approaches.classify import ClassifierSettings, train_mlp

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    x = (rng.normal(size=(400, 16)) + np.eye(4, 16)[y] * 2).astype(np.float32)
    settings = ClassifierSettings(hidden=(32,), epochs=20, batch=32, seed=3)
    (m1, *_, curve), (m2, *_) = train_mlp(x, y, 4, settings), train_mlp(x, y, 4, settings)
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(),
                                                 m2.state_dict().values()))
    assert curve[-1]["loss"] < 0.7 * curve[0]["loss"] and curve[-1]["accuracy"] > 0.8
