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
    from replication.data.labels import LabelError
    from replication.metrics.evaluate import evaluate_dataset

    ds = get_dataset("vspw", vspw_root)
    frame = ds.videos("train")[0].frames[0]
    raw = np.full((6, 8), 200, np.uint8)
    write_label(frame.label, raw)
    assert (ds.load_label(frame) == 200).all()  # not silently mapped into a class
    video = ds.videos("train")[0]
    for f in video.frames:
        write_label(vspw_root.parent / "pred" / video.name / f"{f.stem}.png",
                    np.zeros((6, 8), np.uint8))
    with pytest.raises(LabelError, match="label values \\[200\\]"):
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
    assert [v.name for v in videos] == ["aachen_000000_000019", "aachen_000001_000019",
                                        "bochum_000000_001234"]
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
    with pytest.raises(FileNotFoundError,
                       match="no gtFine label for snippet aachen_000001_000019"):
        get_dataset("cityscapes", cityscapes_root).videos("val")
    with pytest.raises(FileNotFoundError, match="leftImg8bit"):
        get_dataset("cityscapes", cityscapes_root).videos("train")


def test_a_sequence_with_several_labelled_frames_gives_a_snippet_each(tmp_path):
    """frankfurt_000000 in val: labelled frames 294 and 576, whose snippets are frames 275-304
    and 557-586; each is a video of its 30 frames, never one video across the jump."""
    root = tmp_path / "cityscapes"
    for labelled in (294, 576):
        for n in range(labelled - 19, labelled + 11):
            stem = f"frankfurt_000000_{n:06d}"
            write_rgb(root / "leftImg8bit_sequence" / "val" / "frankfurt" /
                      f"{stem}_leftImg8bit.png")
            if n == labelled:
                write_label(root / "gtFine" / "val" / "frankfurt" /
                            f"{stem}_gtFine_labelIds.png", np.full((2, 4), 7, np.uint8))
    videos = get_dataset("cityscapes", root).videos("val")
    assert [v.name for v in videos] == ["frankfurt_000000_000294", "frankfurt_000000_000576"]
    for video, first in zip(videos, (275, 557)):
        assert [f.stem for f in video.frames] == [f"frankfurt_000000_{n:06d}"
                                                  for n in range(first, first + 30)]
        assert [f.label is not None for f in video.frames].index(True) == 19


def test_a_sized_vspw_has_the_counts_asked_for_in_the_real_layout(tmp_path, camvid_root):
    from replication.core.errors import OutputError, SettingsError
    from replication.data.mini import make_vspw_sized

    root = make_vspw_sized(camvid_root, tmp_path, (2, 1, 1), 10, frame_size=(45, 60))
    ds = get_dataset("vspw", root)
    got = {s: [(v.name, len(v.frames)) for v in ds.videos(s)] for s in ("train", "val", "test")}
    assert got == {"train": [("1_CamVidMade00001", 3), ("2_CamVidMade00002", 3)],
                   "val": [("3_CamVidMade00003", 2)], "test": [("4_CamVidMade00004", 2)]}
    video = ds.videos("val")[0]
    assert [f.stem for f in video.frames] == ["00000000", "00000001"]
    assert np.asarray(Image.open(video.frames[0].image)).shape == (45, 60, 3)
    label = ds.load_label(video.frames[0])
    assert label.shape == (45, 60) and set(np.unique(label)) - {255} <= set(range(124))
    assert not (root / "data" / "4_CamVidMade00004" / "mask").exists()  # test: no labels
    # each video starts at its own place in CamVid (video k at frame 37 k): not all the same
    firsts = {(root / "data" / n / "origin" / "00000000.jpg").read_bytes()
              for n, _ in got["train"] + got["val"]}
    assert len(firsts) == 3
    with pytest.raises(OutputError, match="not empty"):
        make_vspw_sized(camvid_root, tmp_path, (1, 1, 1), 3)
    with pytest.raises(SettingsError, match="every video a frame"):
        make_vspw_sized(camvid_root, tmp_path / "other", (2, 1, 1), 3)


def test_a_frame_keeps_its_files_compactly_and_gives_them_back(vspw_root):
    import gc
    import pickle
    import sys
    from pathlib import Path

    from replication.data.video import Frame

    frame = get_dataset("vspw", vspw_root).videos("val")[1].frames[4]
    assert frame.image == vspw_root / "data" / "12_xyz" / "origin" / "00000005.jpg"
    assert frame.label == vspw_root / "data" / "12_xyz" / "mask" / "00000005.png"
    assert pickle.loads(pickle.dumps(frame)) == frame and hash(frame) == hash(Frame(
        frame.stem, str(frame.image), str(frame.label)))
    odd = Frame("a", vspw_root / "b.png", None)  # a file not named after its stem
    assert odd.image == vspw_root / "b.png" and odd.label is None and odd != frame
    with pytest.raises(AttributeError):
        frame.stem = "x"
    # as readers make them: from Path objects; a frame keeps only its stem of its own
    folder = vspw_root / "data" / "12_xyz"
    frames = [Frame(f"{t:08d}", folder / "origin" / f"{t:08d}.jpg", folder / "mask" /
                    f"{t:08d}.png") for t in range(1000)]
    held = {id(r): r for f in frames for r in gc.get_referents(f)}.values()
    assert not any(isinstance(r, Path) for r in held)
    assert len(held) <= len(frames) + 10  # the stems, and the folders and suffixes shared
    assert sys.getsizeof(frames[0]) <= 80  # two Path objects a frame took 800 bytes
