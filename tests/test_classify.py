"""Approach 2: feature pooling, masklet targets, the MLP, fusion, and the CLI end to end."""
import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from replication.approaches.classify import (  # noqa: E402
    ClassifierSettings,
    fill_nearest,
    fuse,
    load_classifier,
    masklet_targets,
    train_ensemble,
    train_mlp,
)
from replication.approaches.features import masklet_features, pool  # noqa: E402
from replication.cli import main
from tests.conftest import SAM2_CONFIG  # noqa: E402
from tests.test_masks_refine import box, masklets  # noqa: E402


def test_pooling_equals_a_loop_over_masks():
    rng = np.random.default_rng(0)
    features = torch.from_numpy(rng.normal(size=(5, 3, 4))).float()
    masks = rng.random((6, 12, 16)) < 0.3
    masks[0] = False
    masks[0, 0, 0] = True                            # one pixel: still pooled, from its cell
    sums, weights = pool(features, masks)
    for n, mask in enumerate(masks):
        cell = mask.reshape(3, 4, 4, 4).mean((1, 3))  # share of each 4x4 cell in the mask
        want = (features.numpy() * cell).sum((1, 2)) / cell.sum()
        np.testing.assert_allclose((sums[n] / weights[n]).numpy(), want, rtol=1e-5)
        assert weights[n] == pytest.approx(cell.sum())


class ConstantPerFrame:
    """Feature map whose every cell holds the frame's mean intensity (one channel) and the
    cell's column (a second channel): pooled values are checkable by hand."""

    def __call__(self, image):
        h, w = image.shape[:2]
        col = torch.arange(w, dtype=torch.float32).expand(h, w)
        return torch.stack([torch.full((h, w), float(image.mean())), col])


def test_masklet_vectors_average_over_frames_weighted_by_area():
    a = box((2, 4), slice(0, 2), slice(0, 1))          # 2 px in column 0
    b = box((2, 4), slice(0, 2), slice(0, 3))          # 6 px in columns 0..2
    vm = masklets(2, [a, b], [None, a])
    images = [np.full((2, 4, 3), 10, np.uint8), np.full((2, 4, 3), 40, np.uint8)]
    ids, frames, vectors = masklet_features(vm, images, ConstantPerFrame(), "masklet")
    assert ids.tolist() == [0, 1] and frames.tolist() == [-1, -1]
    np.testing.assert_allclose(vectors[0], [(2 * 10 + 6 * 40) / 8, (0 * 2 + 6 * 1) / 8])
    np.testing.assert_allclose(vectors[1], [40, 0])
    ids, frames, vectors = masklet_features(vm, images, ConstantPerFrame(), "frame")
    assert list(zip(ids.tolist(), frames.tolist())) == [(0, 0), (0, 1), (1, 1)]
    np.testing.assert_allclose(vectors[:, 0], [10, 40, 40])


def test_targets_are_majority_class_with_purity_and_ignore():
    label = np.array([[0, 0, 0, 1, 255, 255, 255, 255]], np.uint8)
    left = box((1, 8), 0, slice(0, 4))                 # 0 0 0 1 -> class 0, purity 0.75
    right = box((1, 8), 0, slice(3, 8))                # 1 + four ignore -> ignore wins
    edge = box((1, 8), 0, slice(2, 5))                 # 0 1 255: a tie with ignore -> class
    classes, purity = masklet_targets(masklets(1, [left], [right], [edge]), [label], 3)
    assert classes.tolist() == [0, 255, 0]
    assert purity.tolist() == [0.75, 1.0, 0.5]


def test_mlp_learns_a_separable_problem():
    rng = np.random.default_rng(1)
    centres = rng.normal(scale=4, size=(3, 8))
    y = rng.integers(0, 3, 600)
    x = (centres[y] + rng.normal(size=(600, 8))).astype(np.float32)
    settings = ClassifierSettings(hidden=(32,), epochs=30, lr=3e-3, batch=64)
    model, mean, std, curve = train_mlp(x[:400], y[:400], 3, settings)
    assert curve[-1]["loss"] < curve[0]["loss"]
    with torch.no_grad():
        predicted = model(torch.from_numpy((x[400:] - mean) / std).float()).argmax(1).numpy()
    assert (predicted == y[400:]).mean() > 0.95


def test_ensemble_averages_members_trained_under_spaced_seeds(tmp_path):
    """Member k is the MLP of seed + 1000 k (member 0: the lone MLP of that seed); the saved
    ensemble scores by the members' mean softmax; a classifier saved before ensembles (one
    `state_dict`) loads as a one-member ensemble."""
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 120)
    x = (rng.normal(scale=2, size=(3, 4))[y] + rng.normal(size=(120, 4))).astype(np.float32)
    settings = ClassifierSettings(hidden=(8,), epochs=3, batch=32, seed=7, ensemble=3)
    members, mean, std, curve = train_ensemble(x, y, 3, settings)
    lone = [train_mlp(x, y, 3, ClassifierSettings(hidden=(8,), epochs=3, batch=32, seed=s))
            for s in (7, 1007, 2007)]
    for member, (model, *_rest) in zip(members, lone):
        assert all(torch.equal(member[k], v) for k, v in model.state_dict().items())
    assert curve[0]["loss"] == round(float(np.mean([r[3][0]["loss"] for r in lone])), 5)
    state = {"format": "vss-masklet-classifier-1", "settings": {"hidden": [8], "dropout": 0.1},
             "classes": ["a", "b", "c"], "mean": torch.from_numpy(mean),
             "std": torch.from_numpy(std), "members": members}
    torch.save(state, tmp_path / "ensemble.pt")
    old = {**{k: v for k, v in state.items() if k != "members"}, "state_dict": members[0]}
    torch.save(old, tmp_path / "old.pt")
    z = torch.from_numpy((x - mean) / std).float()
    with torch.no_grad():
        want = torch.stack([m(z).softmax(1) for m, *_ in lone]).mean(0)
        assert torch.allclose(load_classifier(tmp_path / "ensemble.pt", 3)[0](z), want)
        assert torch.equal(load_classifier(tmp_path / "old.pt", 3)[0](z), lone[0][0](z).softmax(1))


def test_fusion_paints_small_over_large_and_fills_holes():
    big = box((3, 6), slice(0, 3), slice(0, 3))
    small = box((3, 6), slice(1, 2), slice(1, 2))
    far = box((3, 6), slice(0, 3), slice(5, 6))
    vm = masklets(1, [big], [small], [far])
    painted = fuse(vm, 0, {0: 1, 1: 2, 2: 4})
    assert painted.tolist() == [[1, 1, 1, 255, 255, 4], [1, 2, 1, 255, 255, 4],
                                [1, 1, 1, 255, 255, 4]]
    assert fill_nearest(painted)[:, 3:5].tolist() == [[1, 4]] * 3  # column 3 is nearer to big
    # per-frame classes override nothing else; an unclassified masklet is not painted
    assert fuse(vm, 0, {(1, 0): 3})[1].tolist() == [255, 3, 255, 255, 255, 255]
    assert fill_nearest(np.full((2, 2), 255, np.uint8)).tolist() == [[255, 255]] * 2


def test_sam2_features_from_a_random_model(random_checkpoint):
    from replication.approaches.features import SAM2Encoder
    from tests.conftest import SAM2_CONFIG

    encoder = SAM2Encoder(SAM2_CONFIG, random_checkpoint, device="cpu")
    image = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    features = encoder(image)
    assert features.shape == (256, 64, 64) and torch.isfinite(features).all()
    vm = masklets(1, [box((48, 64), slice(0, 24), slice(0, 64))])
    ids, _, vectors = masklet_features(vm, [image], encoder)
    assert ids.tolist() == [0] and vectors.shape == (1, 256)


@pytest.fixture(scope="module")
def fastscnn_checkpoint(tmp_path_factory):
    """An untrained Fast-SCNN in our checkpoint format: the baseline-features code path."""
    from baselines import checkpoint
    from baselines.models import build_config, build_model

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("fastscnn") / "fastscnn.pth"
    model = build_model(build_config("fastscnn", 11))
    checkpoint.save(path, model.state_dict(), model="fastscnn", mit=None,
                    classes=[str(c) for c in range(11)])
    return path


def test_classify_cli_train_predict_evaluate(tmp_path, camvid_small, fastscnn_checkpoint):
    data = ["--dataset", "camvid", "--root", str(camvid_small)]
    masks = tmp_path / "masks"
    assert main(["masks", *data, "--splits", "train", "test", "--source", "oracle",
                 "--out", str(masks)]) == 0
    encoder = ["--masks", str(masks), "--features", "baseline", "--checkpoint",
               str(fastscnn_checkpoint), "--device", "cpu"]
    model, curve, pred = tmp_path / "clf", tmp_path / "curve.csv", tmp_path / "pred"
    assert main(["classify", "train", *data, *encoder, "--epochs", "3", "--hidden", "16",
                 "--out", str(model), "--curve", str(curve)]) == 0
    assert curve.read_text().splitlines()[0] == "epoch,loss,accuracy"
    assert len(curve.read_text().splitlines()) == 4
    assert main(["classify", "predict", *data, "--splits", "test", *encoder, "--model",
                 str(model), "--out", str(pred)]) == 0
    info = json.loads((pred / "inference.json").read_text())
    from replication.data.registry import get_dataset

    ds = get_dataset("camvid", camvid_small)
    labelled = np.mean([(ds.load_label(f) != 255).mean() for f in ds.videos("test")[0].frames])
    assert info["frames"] == 2 and info["coverage"] == pytest.approx(labelled, abs=1e-4)
    assert info["encoder"]["features"] == "baseline"
    out = tmp_path / "scores.json"
    assert main(["evaluate", *data, "--splits", "test", "--pred", str(pred), "--out", str(out),
                 "--quiet"]) == 0
    from tests.reference import prediction_videos, reference_metrics

    want = reference_metrics(prediction_videos(pred, ds, "test"), 11, ks=())
    assert json.loads(out.read_text())["test"]["mIoU"] == pytest.approx(want["mIoU"], abs=1e-12)


def test_classify_without_sam2_checkpoint_is_not_run(tmp_path, camvid_small):
    data = ["--dataset", "camvid", "--root", str(camvid_small)]
    masks = tmp_path / "masks"
    assert main(["masks", *data, "--splits", "train", "--source", "oracle",
                 "--out", str(masks)]) == 0
    sam2 = ["--masks", str(masks), "--features", "sam2", "--sam2-checkpoint",
            str(tmp_path / "none.pt"), "--record-not-run"]
    model, curve, pred = tmp_path / "clf", tmp_path / "curve.csv", tmp_path / "pred"
    assert main(["classify", "train", *data, *sam2, "--out", str(model),
                 "--curve", str(curve)]) == 0
    assert json.loads((model / "NOT_RUN.json").read_text())["status"] == "not run"
    assert curve.read_text().splitlines() == ["epoch,loss,accuracy"]
    assert main(["classify", "predict", *data, "--splits", "test", *sam2, "--model", str(model),
                 "--out", str(pred)]) == 0
    assert "none.pt" in json.loads((pred / "NOT_RUN.json").read_text())["reason"]


def test_seed_replicate_retrains_every_trained_row(tmp_path, camvid_small):
    """`vss seeds`: baselines, their refinements and the classifiers again with another seed;
    sources that did not run (SAM2 without a checkpoint) are left out."""
    import yaml

    data = ["--dataset", "camvid", "--root", str(camvid_small), "--splits", "val", "test"]
    assert main(["masks", *data, "--splits", "train", "val", "test", "--source", "oracle",
                 "--out", str(tmp_path / "masks" / "oracle")]) == 0
    assert main(["masks", *data, "--splits", "train", "val", "test", "--source", "sam2",
                 "--sam2-checkpoint", str(tmp_path / "absent.pt"), "--record-not-run",
                 "--out", str(tmp_path / "masks" / "sam2-tiny")]) == 0
    # the record `vss sam2-checkpoint` writes when there is no file and no network
    assert main(["sam2-checkpoint", "--dest", str(tmp_path / "absent.pt"), "--url",
                 "http://127.0.0.1:9/sam2.1_hiera_tiny.pt", "--config", SAM2_CONFIG,
                 "--timeout", "2", "--record", str(tmp_path / "sam2" / "sam2-tiny.json")]) == 0
    assert not json.loads((tmp_path / "sam2" / "sam2-tiny.json").read_text())["available"]
    assert main(["features", *data, "--masks", str(tmp_path / "masks"), "--sources", "oracle",
                 "sam2-tiny", "--sam2-record", str(tmp_path / "sam2" / "sam2-tiny.json"),
                 "--record-not-run", "--out", str(tmp_path / "features" / "sam2-tiny")]) == 0
    assert (tmp_path / "features" / "sam2-tiny" / "NOT_RUN.json").is_file()
    params = {
        "benchmarks": {"camvid": {"root": str(camvid_small), "eval": ["val", "test"]}},
        "baselines": {"net": {"net": {"model": "fastscnn"},
                              "train": {"iterations": 2, "batch": 2, "crop": [64, 64]}}},
        "refine": {"sources": ["oracle", "sam2-tiny"], "vote_ablation": ["oracle"],
                   "ablation_votes": ["frame"], "decisive-tau": 0.6},
        "classify": {"sources": ["oracle", "sam2-tiny"], "baseline_features": ["net"],
                     "sam2_features": ["sam2-tiny"], "fill": "nearest",
                     "train": {"hidden": [8], "epochs": 2, "seed": 0}},
        "metrics": {"boundary-ratio": 0.02, "vc-windows": [8, 16]}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    out = tmp_path / "seed1.json"
    assert main(["seeds", *data, "--seed", "1", "--params", str(tmp_path / "params.yaml"),
                 "--masks", str(tmp_path / "masks"), "--features", str(tmp_path / "features"),
                 "--device", "cpu", "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    run = json.loads(out.read_text())
    assert run["seed"] == 1 and sorted(run["methods"]) == [
        "classify-oracle-net", "net", "net+refine-oracle", "net+refine-oracle-vote-frame"]
    assert set(run["methods"]["net"]) == {"val", "test"}
    saved = torch.load(tmp_path / "work" / "models" / "net" / "model.pth", weights_only=True)
    assert saved["train"]["seed"] == 1


def test_the_training_reservoir_keeps_every_vector_below_its_size_else_a_uniform_sample():
    from replication.approaches.classify import Reservoir

    stream = np.arange(1000, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    cuts = [0, 7, 80, 81, 300, 655, 1000]  # batches of every size, one of a single vector

    def fed(size, seed):
        r = Reservoir(size, seed)
        for a, b in zip(cuts, cuts[1:]):
            r.add(stream[a:b], np.arange(a, b))
        return r

    under = fed(2000, 0)
    x, y = under.arrays()
    assert np.array_equal(x, stream) and np.array_equal(y, np.arange(1000)) and under.seen == 1000
    kept = np.zeros(1000)
    for seed in range(400):
        x, y = fed(100, seed).arrays()
        assert len(y) == 100 == len(set(y.tolist())) and np.array_equal(x[:, 0], y)
        kept[y] += 1
    # each vector kept with probability 100 / 1000, early or late in the stream (std 0.0015)
    np.testing.assert_allclose(kept.reshape(10, 100).mean(1) / 400, 0.1, atol=0.01)
    assert np.array_equal(fed(100, 5).arrays()[1], fed(100, 5).arrays()[1])  # seeded


def test_stored_sam2_features_equal_encoding_again_and_serve_every_source(
        tmp_path, camvid_small, random_checkpoint):
    """`vss features` encodes each frame once for all sources; its pools give the vectors of
    encoding the frames again, bit for bit, and the classifier runs on them."""
    from replication.approaches.features import SAM2Encoder, aggregate
    from replication.approaches.pooled import FeatureStore, pooled_path
    from replication.data.images import read_image
    from replication.data.registry import get_dataset
    from replication.masks.sam2.checkpoint import obtain_checkpoint
    from replication.masks.store import load_for_video
    from tests.test_sam2_checkpoint import UNREACHABLE

    data = ["--dataset", "camvid", "--root", str(camvid_small)]
    masks = tmp_path / "masks"
    for source in ("oracle", "superpixel"):
        assert main(["masks", *data, "--splits", "train", "test", "--source", source,
                     "--out", str(masks / source)]) == 0
    record = tmp_path / "sam2-tiny.json"
    record.write_text(json.dumps(obtain_checkpoint(random_checkpoint, UNREACHABLE,
                                                   SAM2_CONFIG)))
    store = tmp_path / "features"
    features = ["features", *data, "--masks", str(masks), "--sources", "oracle", "superpixel",
                "--sam2-record", str(record), "--splits", "train", "test", "--device", "cpu",
                "--out", str(store)]
    assert main(features) == 0
    encoder = SAM2Encoder(SAM2_CONFIG, random_checkpoint, device="cpu")
    stored = FeatureStore(store)
    assert stored.spec == {**encoder.spec, "name": "sam2-tiny"}
    video = get_dataset("camvid", camvid_small).videos("test")[0]
    encoded = [encoder(read_image(f.image)) for f in video.frames]  # each frame once here too
    for source in ("oracle", "superpixel"):
        vm = load_for_video(masks / source, "test", video)
        for per in ("masklet", "frame"):
            want = masklet_features(vm, range(len(encoded)), encoded.__getitem__, per)
            got = aggregate(stored.pools(vm, masks / source, "test", video), len(vm.masklets),
                            per)
            for a, b in zip(got, want):
                assert a.dtype == b.dtype and np.array_equal(a, b)  # bit for bit
        assert stored.seconds(vm, masks / source, "test", video) > 0
    before = pooled_path(store, "oracle", "test", video.name).stat().st_mtime_ns
    assert main(features) == 0  # all done: nothing encoded again
    assert pooled_path(store, "oracle", "test", video.name).stat().st_mtime_ns == before
    os.utime(masks / "oracle" / "test" / f"{video.name}.json.gz")  # masklets made again
    assert main(features) == 0
    assert pooled_path(store, "oracle", "test", video.name).stat().st_mtime_ns != before
    common = [*data, "--masks", str(masks / "oracle"), "--features", "sam2", "--pooled",
              str(store)]
    assert main(["classify", "train", *common, "--hidden", "8", "--epochs", "2", "--out",
                 str(tmp_path / "clf"), "--curve", str(tmp_path / "curve.csv")]) == 0
    assert main(["classify", "predict", *common, "--splits", "test", "--model",
                 str(tmp_path / "clf"), "--out", str(tmp_path / "pred")]) == 0
    assert len(list((tmp_path / "pred").rglob("*.png"))) == 2
    timing = json.loads((tmp_path / "pred" / "inference.json").read_text())
    assert timing["seconds"]["features"] > 0 and "vss features" in timing["timing"]
