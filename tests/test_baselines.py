"""Baselines: config building, augmentation, and a two-iteration train + predict on CamVid."""
import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baselines import checkpoint  # noqa: E402
from baselines.frames import Crop, augment  # noqa: E402
from baselines.models import build_config, known_models  # noqa: E402
from replication.cli import main  # noqa: E402
from replication.data.camvid import CamVid  # noqa: E402


def test_configs_are_completed_for_the_dataset():
    assert {"fastscnn", "segformer"} <= set(known_models())
    cfg = build_config("fastscnn", 11, class_weight=[1.0] * 11)
    heads = [cfg.model.decode_head, *cfg.model.auxiliary_head]
    assert len(heads) == 3 and all(h.num_classes == 11 for h in heads)
    assert all(h.loss_decode.class_weight == [1.0] * 11 for h in heads)
    assert all(not h.loss_decode.use_sigmoid for h in heads)
    assert "SyncBN" not in cfg.pretty_text
    seg = build_config("segformer", 124, mit="b2")
    assert seg.model.backbone.embed_dims == 64 and seg.model.backbone.num_layers == [3, 4, 6, 3]
    assert seg.model.decode_head.in_channels == [64, 128, 320, 512]
    assert seg.model.decode_head.num_classes == 124


def test_bad_model_names_are_explained():
    with pytest.raises(ValueError, match="unknown baseline model 'bisenet'.*fastscnn"):
        build_config("bisenet", 11)
    with pytest.raises(ValueError, match="applies to segformer"):
        build_config("fastscnn", 11, mit="b1")
    with pytest.raises(ValueError, match="unknown MiT size 'b9'"):
        build_config("segformer", 11, mit="b9")


def test_augment_crops_pads_with_ignore_and_keeps_pairs_aligned():
    label = np.arange(48, dtype=np.uint8).reshape(6, 8)
    image = np.repeat(label[..., None], 3, axis=2)
    for y, x, flip in ((0, 0, False), (2, 4, True), (1, 3, False)):
        img, lab = augment(image, label, Crop(0, 1.0, y, x, flip), crop=(4, 4))
        want = label[y:y + 4, x:x + 4]
        assert np.array_equal(lab, want[:, ::-1] if flip else want)
        assert np.array_equal(img[..., 0], lab)  # nearest-identical at scale 1
    img, lab = augment(image, label, Crop(0, 1.0, 0, 0, False), crop=(10, 10))
    assert (lab == 255).sum() == 100 - 48 and np.array_equal(lab[:6, :8], label)  # padded
    img, lab = augment(image, label, Crop(0, 0.5, 0, 0, False), crop=(3, 4))
    assert np.array_equal(lab, label[::2, ::2][:3, :4])  # halved (nearest), then cropped


@pytest.mark.parametrize("model, extra", [("fastscnn", []), ("segformer", ["--mit", "b0"])])
def test_two_iteration_train_then_predict_then_evaluate(tmp_path, camvid_small, model, extra):
    ckpt, curve, pred = tmp_path / "m.pth", tmp_path / "curve.csv", tmp_path / "pred"
    code = main(["train", "--model", model, *extra, "--dataset", "camvid", "--root",
                 str(camvid_small), "--iterations", "2", "--batch", "2", "--crop", "64", "64",
                 "--log-every", "1", "--out", str(ckpt), "--curve", str(curve)])
    assert code == 0
    saved = torch.load(ckpt / "model.pth", weights_only=True)  # plain tensors and values only
    assert saved["format"] == checkpoint.FORMAT and saved["model"] == model
    assert saved["classes"] == list(CamVid.classes) and len(saved["class_weight"]) == 11
    rows = list(csv.DictReader(curve.open()))
    assert [r["iteration"] for r in rows] == ["1", "2"] and float(rows[0]["loss"]) > 0

    code = main(["predict", "--checkpoint", str(ckpt), "--dataset", "camvid", "--root",
                 str(camvid_small), "--splits", "val", "test", "--out", str(pred)])
    assert code == 0
    from replication.data.labels import read_label

    out = read_label(pred / "0016E5" / "0016E5_07959.png")
    assert out.shape == (360, 480) and out.max() < 11
    # beside the labels, hidden: the max softmax probability x 255, at least 1/11 of it
    confidence = read_label(pred / ".confidence" / "0016E5" / "0016E5_07959.png")
    assert confidence.shape == out.shape and confidence.min() >= round(255 / 11)
    info = json.loads((pred / "inference.json").read_text())
    assert info["frames"] == 5 and info["fps"] > 0 and info["device"].startswith("cpu")

    result = tmp_path / "r.json"
    assert main(["evaluate", "--dataset", "camvid", "--root", str(camvid_small), "--pred",
                 str(pred), "--out", str(result), "--quiet"]) == 0
    scored = json.loads(result.read_text())
    assert scored["inference"]["fps"] == info["fps"]
    from replication.data.registry import get_dataset
    from tests.reference import prediction_videos, reference_metrics

    want = reference_metrics(prediction_videos(pred, get_dataset("camvid", camvid_small),
                                               "test"), 11, ks=())
    assert scored["test"]["mIoU"] == pytest.approx(want["mIoU"], abs=1e-12)
    assert scored["test"]["mBIoU"] == pytest.approx(want["mBIoU"], abs=1e-12)


def test_missing_checkpoint_and_wrong_class_count_are_named(tmp_path, camvid_small, capsys):
    code = main(["predict", "--checkpoint", str(tmp_path / "none.pth"), "--dataset", "camvid",
                 "--root", str(camvid_small), "--out", str(tmp_path / "p")])
    assert code == 1 and "none.pth: model checkpoint not found" in capsys.readouterr().err
    checkpoint.save(tmp_path / "c.pth", {}, model="fastscnn", mit=None, classes=["a", "b"])
    code = main(["predict", "--checkpoint", str(tmp_path / "c.pth"), "--dataset", "camvid",
                 "--root", str(camvid_small), "--out", str(tmp_path / "p")])
    assert code == 1 and "trained for 2 classes" in capsys.readouterr().err


def test_foreign_checkpoint_needs_its_model_and_trust(tmp_path, camvid_small, capsys):
    from baselines.models import build_model

    model = build_model(build_config("fastscnn", 11))
    torch.save({"state_dict": model.state_dict(), "meta": {"note": object.__name__}},
               tmp_path / "zoo.pth")
    out = tmp_path / "p"
    code = main(["predict", "--checkpoint", str(tmp_path / "zoo.pth"), "--dataset", "camvid",
                 "--root", str(camvid_small), "--splits", "test", "--out", str(out)])
    assert code == 1 and "name its model (--model)" in capsys.readouterr().err
    code = main(["predict", "--checkpoint", str(tmp_path / "zoo.pth"), "--model", "segformer",
                 "--dataset", "camvid", "--root", str(camvid_small), "--splits", "test",
                 "--out", str(out)])
    assert code == 1 and "does not fit segformer" in capsys.readouterr().err
    code = main(["predict", "--checkpoint", str(tmp_path / "zoo.pth"), "--model", "fastscnn",
                 "--dataset", "camvid", "--root", str(camvid_small), "--splits", "test",
                 "--out", str(out)])
    assert code == 0 and len(list((out / "Seq05VD").glob("*.png"))) == 2


def test_import_external_predictions(tmp_path, camvid_small, capsys):
    from replication.data.labels import write_label

    src = tmp_path / "cffm"
    for video, stems in {"0016E5": ["0016E5_07959", "0016E5_07961", "0016E5_07963"],
                         "Seq05VD": ["Seq05VD_f00000", "Seq05VD_f00030"]}.items():
        for stem in stems:
            write_label(src / video / f"{stem}.png", np.zeros((360, 480), np.uint8))
    out = tmp_path / "predictions" / "cffm"
    assert main(["import", "--src", str(src), "--dataset", "camvid", "--root",
                 str(camvid_small), "--out", str(out)]) == 0
    assert len(list(out.rglob("*.png"))) == 5
    (src / "Seq05VD" / "Seq05VD_f00030.png").unlink()
    code = main(["import", "--src", str(src), "--dataset", "camvid", "--root",
                 str(camvid_small), "--out", str(tmp_path / "other")])
    assert code == 1 and "Seq05VD_f00030.png" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def test_mmseg_dataset_serves_our_frames_with_mapped_labels(camvid_small):
    from mmseg.registry import DATASETS

    from baselines.mmseg_dataset import register

    register()
    dataset = DATASETS.build(dict(
        type="VSSVideoDataset", dataset="camvid", root=str(camvid_small), split="val",
        pipeline=[dict(type="LoadImageFromFile"), dict(type="LoadAnnotations")]))
    ours = CamVid(camvid_small)
    frames = ours.videos("val")[0].frames
    assert len(dataset) == 3 and dataset.metainfo["classes"] == CamVid.classes
    sample = dataset[1]
    assert sample["stem"] == frames[1].stem and sample["img"].shape == (360, 480, 3)
    np.testing.assert_array_equal(sample["gt_seg_map"], ours.load_label(frames[1]))
