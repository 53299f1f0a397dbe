"""The SAM2 masklet source with a randomly initialised SAM2.1 hiera-tiny (no weights can be
downloaded here): built from the sam2 package's own config, saved to a temporary checkpoint and
loaded through our real loading code. Its masks mean nothing; the code path is what is tested."""
import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
pytest.importorskip("sam2")

from replication.data.video import Frame, Video  # noqa: E402
from replication.masks.sam2.loading import MissingCheckpoint, cast_memory_to_query_dtype, load_sam2  # noqa: E402
from replication.masks.sam2.source import SAM2Source  # noqa: E402
from tests.conftest import SAM2_CONFIG as CONFIG  # noqa: E402
from tests.test_masks_refine import TinyDataset  # noqa: E402


@pytest.fixture(scope="module")
def video(tmp_path_factory, camvid_small):
    """Three small real frames: 0016E5 val frames, downscaled to 60x80."""
    root = tmp_path_factory.mktemp("frames")
    frames = []
    for i, stem in enumerate(["0016E5_07959", "0016E5_07961", "0016E5_07963"]):
        image = Image.open(camvid_small / "val" / f"{stem}.png").resize((80, 60))
        image.save(root / f"{stem}.png")
        label = Image.open(camvid_small / "valannot" / f"{stem}.png").resize((80, 60), 0)
        label.save(root / f"{stem}.label.png")
        frames.append(Frame(stem, root / f"{stem}.png", root / f"{stem}.label.png"))
    return Video("0016E5", tuple(frames)), TinyDataset(root)


def test_missing_checkpoint_says_how_to_supply_one(tmp_path):
    with pytest.raises(MissingCheckpoint, match="under `sam2:` in params.yaml"):
        load_sam2(CONFIG, tmp_path / "sam2.1_hiera_tiny.pt")


def test_checkpoint_of_another_model_is_named(tmp_path, random_checkpoint):
    state = torch.load(random_checkpoint, weights_only=True)
    state["model"].pop(next(iter(state["model"])))
    torch.save(state, tmp_path / "broken.pt")
    with pytest.raises(ValueError, match="broken.pt: does not fit SAM2 config"):
        load_sam2(CONFIG, tmp_path / "broken.pt", device="cpu")


def test_windows_of_tracked_masklets(random_checkpoint, video):
    source = SAM2Source(CONFIG, random_checkpoint, window=2, points_per_side=4,
                        pred_iou_thresh=0.0, stability_score_thresh=0.0, max_masklets=3,
                        device="cpu")
    vm = source.masklets(*video)
    assert vm.frames == ["0016E5_07959", "0016E5_07961", "0016E5_07963"]
    assert (vm.height, vm.width) == (60, 80) and vm.source == "sam2"
    assert 0 < len(vm.masklets) <= 6  # at most 3 per window, two windows
    for m in vm.masklets:
        present = [t for t, rle in enumerate(m.rle) if rle is not None]
        assert present and (set(present) <= {0, 1} or present == [2])  # never across windows
    ids, masks = vm.at_frame(0)
    assert masks.shape[1:] == (60, 80) and masks.any()
    assert not {"image_size", "new_objects", "sam1", "across_windows", "offload_video",
                "offload_state"} & set(source.settings())  # off, or not what the masks depend on


def test_memory_attention_takes_bfloat16_memory_after_the_fix(random_checkpoint):
    """sam2 #308/#577: the video predictor stores memory features as bfloat16; memory attention
    then fails on CPU whenever no float32 object pointers are concatenated to them (reverse
    tracking, objects added on later frames). The fix casts memory to the query's dtype."""
    from sam2.build_sam import build_sam2_video_predictor

    predictor = build_sam2_video_predictor(CONFIG, str(random_checkpoint), device="cpu")
    g = torch.Generator().manual_seed(0)
    curr, curr_pos = torch.randn(2, 4096, 1, 256, generator=g)
    memory, memory_pos = torch.randn(2, 4096, 1, 64, generator=g)
    stored = memory.to(torch.bfloat16)
    with torch.inference_mode():
        with pytest.raises(RuntimeError, match="same dtype"):
            predictor.memory_attention(curr, stored, curr_pos, memory_pos, 0)
        want = predictor.memory_attention(curr, stored.float(), curr_pos, memory_pos, 0)
        cast_memory_to_query_dtype(predictor)
        got = predictor.memory_attention(curr, stored, curr_pos, memory_pos, 0)
    assert got.dtype == torch.float32 and torch.equal(got, want)


def test_cli_without_checkpoint_fails_clearly(tmp_path, camvid_small, capsys):
    from replication.cli import main

    code = main(["masks", "--source", "sam2", "--dataset", "camvid", "--root", str(camvid_small),
                 "--splits", "test", "--sam2-checkpoint", str(tmp_path / "missing.pt"),
                 "--out", str(tmp_path / "masks")])
    assert code == 1 and "missing.pt: SAM2 checkpoint not found" in capsys.readouterr().err
    assert not (tmp_path / "masks").exists()


@pytest.mark.parametrize("window, new_objects", [(2, None), (3, {"every": 1, "min-area": 1})])
def test_each_frame_is_encoded_once(random_checkpoint, video, window, new_objects):
    """The automatic mask generator's embedding of a frame is reused by the tracker: a 3-frame
    video in windows of 2 runs the image encoder 3 times, not 5; in one window with the
    generator on every frame (new objects), 3 times, not 6."""
    source = SAM2Source(CONFIG, random_checkpoint, window=window, points_per_side=4,
                        pred_iou_thresh=0.0, stability_score_thresh=0.0, max_masklets=2,
                        new_objects=new_objects, image_size=256, device="cpu").load()
    model, calls = source._predictor, []
    encode = type(model).forward_image

    def counted(self, image):
        calls.append(image.shape)
        return encode(self, image)

    type(model).forward_image = counted
    try:
        vm = source.masklets(*video)
    finally:
        type(model).forward_image = encode
    assert len(calls) == 3 and len(vm.masklets) > 0


def test_new_objects_start_inside_windows_only_when_on(random_checkpoint, video):
    """One window of 3 frames, one object from its first frame: with `new_objects` (generator
    on every frame, any mask with a pixel outside the tracked ones) masklets also start on
    frames 1 and 2, none is tracked before it was found, and the cap holds; off, every masklet
    starts on the window's first frame."""
    common = dict(window=3, points_per_side=4, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                  max_masklets=1, image_size=256, device="cpu")
    off = SAM2Source(CONFIG, random_checkpoint, **common)
    on = SAM2Source(CONFIG, random_checkpoint, **common,
                    new_objects={"every": 1, "min-area": 1, "max-overlap": 1.0,
                                 "max-objects": 4})
    starts = {}
    for name, source in (("off", off), ("on", on)):
        vm = source.masklets(*video)
        starts[name] = [min(t for t, rle in enumerate(m.rle) if rle is not None)
                        for m in vm.masklets if any(rle is not None for rle in m.rle)]
    assert starts["off"] == [0]
    assert starts["on"][0] == 0 and set(starts["on"][1:]) & {1, 2} and len(starts["on"]) <= 4
    assert starts["on"] == sorted(starts["on"])  # each joins where it was found, in order
    assert "new_objects" not in off.settings() and off.settings()["image_size"] == 256
    assert on.settings()["new_objects"] == {"every": 1, "min-area": 1, "max-overlap": 1.0,
                                            "max-objects": 4}


def test_untracked_masks_by_area_outside_and_overlap():
    from replication.masks.sam2.source import NewObjects, untracked

    def box(r0, r1, c0, c1):
        m = np.zeros((10, 10), bool)
        m[r0:r1, c0:c1] = True
        return {"segmentation": m}

    tracked = [box(0, 5, 0, 5)["segmentation"]]                    # 25 px
    inside, half, apart, twin = box(1, 4, 1, 4), box(0, 5, 3, 8), box(6, 9, 6, 9), box(6, 9, 6, 9)
    rule = NewObjects(every=1, min_area=6, max_overlap=0.5, max_objects=10)
    # inside: 0 px outside; half: 15 px outside, IoU 10/40; apart: 9 px, IoU 0; twin of apart:
    # IoU 1 with apart once apart joined
    assert untracked([inside, half, apart, twin], tracked, rule, 10) == [half, apart]
    assert untracked([inside, half, apart], tracked, rule, 1) == [half]           # the room
    strict = NewObjects(every=1, min_area=10, max_overlap=0.2, max_objects=10)
    assert untracked([half, apart], tracked, strict, 10) == []  # half: IoU 0.25; apart: 9 px


@pytest.fixture(scope="module")
def random_sam1(tmp_path_factory):
    """A randomly initialised SAM1 ViT-B saved as Meta publishes them (a state dict)."""
    pytest.importorskip("segment_anything")
    from replication.masks.sam2.sam1 import write_random_sam1_checkpoint

    return write_random_sam1_checkpoint("vit_b", tmp_path_factory.mktemp("sam1") / "vit_b.pth")


def test_sam1_proposals_are_tracked_by_sam2(random_checkpoint, random_sam1, video):
    """With `sam1`, SAM1's generator proposes each window's masks (its encoder runs once per
    window), SAM2 only tracks them (its encoder once per frame); the settings name SAM1's
    checkpoint by its sha256."""
    from replication.core.hashing import sha256_file

    source = SAM2Source(CONFIG, random_checkpoint, window=2, points_per_side=2,
                        pred_iou_thresh=0.0, stability_score_thresh=0.0, max_masklets=2,
                        image_size=256, sam1={"checkpoint": str(random_sam1)},
                        device="cpu").load()
    calls = {"sam1": 0, "sam2": 0}
    sam1_hook = source._sam1.image_encoder.register_forward_hook(
        lambda *_: calls.__setitem__("sam1", calls["sam1"] + 1))
    sam2_hook = source._predictor.image_encoder.register_forward_hook(
        lambda *_: calls.__setitem__("sam2", calls["sam2"] + 1))
    try:
        vm = source.masklets(*video)
    finally:
        sam1_hook.remove()
        sam2_hook.remove()
    assert calls == {"sam1": 2, "sam2": 3} and len(vm.masklets) > 0
    assert source.settings()["sam1"] == {"checkpoint": sha256_file(random_sam1),
                                         "model": "vit_b"}


def test_sam1_without_its_checkpoint_is_not_run_with_the_reason(random_checkpoint, tmp_path):
    from replication.core.errors import Unavailable

    source = SAM2Source(CONFIG, random_checkpoint, sam1={"checkpoint": str(tmp_path / "no.pth")},
                        device="cpu")
    with pytest.raises(Unavailable, match=r"no.pth: SAM1 checkpoint not found") as caught:
        source.settings()
    assert "remove `sam1:`" in caught.value.fix


MEMORY_RUN = """
import resource, sys
from pathlib import Path
from replication.data.video import Frame, Video
from replication.masks.sam2.source import SAM2Source
n, checkpoint, images = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
frames = tuple(Frame(f"{t:05d}", Path(images[t % len(images)]), None) for t in range(n))
source = SAM2Source("CONFIG", checkpoint, window=8, points_per_side=2, pred_iou_thresh=0.0,
                    stability_score_thresh=0.0, max_masklets=2, image_size=128, device="cpu")
vm = source.masklets(Video("long", frames), None)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(vm.masklets))
""".replace("CONFIG", CONFIG)


def test_peak_memory_of_a_long_video_is_that_of_a_short_one(random_checkpoint, camvid_small):
    """Only a window's frames are decoded and tracked at a time: the peak resident memory of the
    SAM2 source on a 300-frame video (full-size CamVid frames, 2 MB each decoded) is within
    1.2x of a 64-frame one's (holding the 300 frames alone would add 600 MB). Each run is its
    own process (ru_maxrss)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    images = [str(p) for p in sorted((camvid_small / "val").glob("*.png"))]
    peaks = {}
    for n in (64, 300):
        done = subprocess.run([sys.executable, "-c", MEMORY_RUN, str(n), str(random_checkpoint),
                               *images], cwd=REPO, capture_output=True, text=True, check=True)
        peak_kb, masklets = map(int, done.stdout.split())
        assert masklets > 0  # the tracker ran
        peaks[n] = peak_kb
    assert peaks[300] <= 1.2 * peaks[64], peaks
