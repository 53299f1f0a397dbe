"""VSPW and Cityscapes readers on small synthetic folders in each real layout."""
import numpy as np
import pytest
from PIL import Image

from replication.data.labels import write_label
from replication.data.registry import get_dataset


def write_rgb(path, shape=(6, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((*shape, 3), np.uint8)).save(path)


@pytest.fixture
def vspw_root(tmp_path):
    root = tmp_path / "VSPW_480p"
    for video, n in (("1001_abc", 3), ("12_xyz", 11)):
        for t in range(1, n + 1):
            write_rgb(root / "data" / video / "origin" / f"{t:08d}.jpg")
            raw = np.full((6, 8), 5, np.uint8)
            raw[0, :4] = [0, 1, 124, 255]
            write_label(root / "data" / video / "mask" / f"{t:08d}.png", raw)
    (root / "train.txt").write_text("12_xyz\n")
    (root / "val.txt").write_text("1001_abc\n12_xyz\n")
    (root / "test.txt").write_text("")
    return root


def test_vspw_videos_order_and_label_mapping(vspw_root):
    ds = get_dataset("vspw", vspw_root)
    assert ds.num_classes == 124 and ds.classes[0] == "wall" and ds.classes[-1] == "train"
    videos = ds.videos("val")
    assert [v.name for v in videos] == ["1001_abc", "12_xyz"]
    stems = [f.stem for f in videos[1].frames]
    assert stems == [f"{t:08d}" for t in range(1, 12)]
    label = ds.load_label(videos[0].frames[0])
    # raw 0 (others) -> ignore, v -> v - 1, 255 stays ignore
    assert label[0, :4].tolist() == [255, 0, 123, 255] and label[1, 0] == 4


def test_vspw_wrong_layout_is_named(vspw_root):
    (vspw_root / "val.txt").write_text("missing_video\n")
    with pytest.raises(FileNotFoundError, match="missing_video"):
        get_dataset("vspw", vspw_root).videos("val")
    with pytest.raises(FileNotFoundError, match="VSPW_480p"):
        get_dataset("vspw", vspw_root / "data").videos("train")


def test_vspw_out_of_range_raw_values_stay_invalid(vspw_root):
    from replication.metrics.evaluate import EvaluationError, evaluate_dataset

    ds = get_dataset("vspw", vspw_root)
    frame = ds.videos("train")[0].frames[0]
    raw = np.full((6, 8), 200, np.uint8)
    write_label(frame.label, raw)
    assert (ds.load_label(frame) == 200).all()  # not silently mapped into a class
    video = ds.videos("train")[0]
    for f in video.frames:
        write_label(vspw_root.parent / "pred" / video.name / f"{f.stem}.png", np.zeros((6, 8), np.uint8))
    with pytest.raises(EvaluationError, match="label values \\[200\\]"):
        evaluate_dataset(vspw_root.parent / "pred", ds, ["train"], progress=False)


@pytest.fixture
def cityscapes_root(tmp_path):
    root = tmp_path / "cityscapes"
    for city, seq, frame in (("aachen", "000001", "000019"), ("aachen", "000000", "000019"),
                             ("bochum", "000000", "001234")):
        stem = f"{city}_{seq}_{frame}"
        write_rgb(root / "leftImg8bit" / "val" / city / f"{stem}_leftImg8bit.png")
        raw = np.array([[7, 8, 26, 0], [33, 1, 255, 24]], np.uint8)
        write_label(root / "gtFine" / "val" / city / f"{stem}_gtFine_labelIds.png", raw)
    return root


def test_cityscapes_snippets_and_train_ids(cityscapes_root):
    ds = get_dataset("cityscapes", cityscapes_root)
    assert ds.num_classes == 19
    videos = ds.videos("val")
    assert [v.name for v in videos] == ["aachen_000000", "aachen_000001", "bochum_000000"]
    assert all(len(v.frames) == 1 for v in videos)
    label = ds.load_label(videos[0].frames[0])
    assert label.tolist() == [[0, 1, 13, 255], [18, 255, 255, 11]]


def test_cityscapes_prefers_label_ids_and_falls_back_to_train_ids(cityscapes_root):
    gt = cityscapes_root / "gtFine/val/bochum/bochum_000000_001234_gtFine_labelIds.png"
    gt.unlink()
    write_label(gt.with_name("bochum_000000_001234_gtFine_labelTrainIds.png"),
                np.array([[3, 255]], np.uint8))
    ds = get_dataset("cityscapes", cityscapes_root)
    frame = ds.videos("val")[-1].frames[0]
    assert ds.load_label(frame).tolist() == [[3, 255]]


def test_cityscapes_missing_label_and_layout_are_named(cityscapes_root):
    (cityscapes_root / "gtFine/val/aachen/aachen_000001_000019_gtFine_labelIds.png").unlink()
    with pytest.raises(FileNotFoundError, match="no gtFine label for snippet aachen_000001"):
        get_dataset("cityscapes", cityscapes_root).videos("val")
    with pytest.raises(FileNotFoundError, match="leftImg8bit"):
        get_dataset("cityscapes", cityscapes_root).videos("train")
