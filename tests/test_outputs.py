"""Nothing lost: outputs that would destroy an input are refused, a user's files beside the
outputs are kept, imports are checked as evaluation checks, video names are read whole, and
an unreachable Ray cluster is named at once, before anything is written."""
import json
import shutil
import time

import numpy as np
import pytest
import yaml
from PIL import Image

from replication.cli import main
from replication.data.labels import write_label
from tests.conftest import one_line_error


def files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture
def made(tmp_path, camvid_small):
    """Predictions (the degraded ground truth) and oracle masklets of camvid_small."""
    data = ["--dataset", "camvid", "--root", str(camvid_small)]
    assert main(["degrade", *data, "--downscale", "4", "--out",
                 str(tmp_path / "pred" / "gt-degraded")]) == 0
    assert main(["masks", *data, "--source", "oracle", "--out", str(tmp_path / "masks")]) == 0
    return tmp_path, data


def test_refine_onto_its_own_predictions_is_refused_and_they_stay(made, capsys):
    tmp_path, data = made
    pred = tmp_path / "pred" / "gt-degraded"
    before = files(pred)
    for out in (pred, pred / "inside", tmp_path / "pred"):
        err = one_line_error(capsys, ["refine", *data, "--pred", pred, "--masks",
                                      tmp_path / "masks", "--out", out])
        assert f"output {out}" in err and f"input {pred}" in err
    assert files(pred) == before


def test_evaluate_never_writes_over_an_input_or_a_users_file(made, capsys, camvid_small):
    tmp_path, data = made
    pred = tmp_path / "pred" / "gt-degraded"
    png = next(pred.rglob("*.png"))
    before = png.read_bytes()
    err = one_line_error(capsys, ["evaluate", *data, "--pred", pred, "--out", png])
    assert "lies inside input" in err and png.read_bytes() == before
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    err = one_line_error(capsys, ["evaluate", *data, "--pred", pred, "--out", notes])
    assert "is not an output of this suite" in err and notes.read_text() == '{"my": "notes"}'
    (tmp_path / "folder").mkdir()
    err = one_line_error(capsys, ["evaluate", *data, "--pred", pred, "--out",
                                  tmp_path / "folder"])
    assert "is a folder" in err
    out = tmp_path / "r.json"
    assert main(["evaluate", *data, "--pred", str(pred), "--out", str(out), "--quiet"]) == 0
    assert main(["evaluate", *data, "--pred", str(pred), "--out", str(out), "--quiet"]) == 0


def test_score_keeps_a_users_files_and_removes_only_its_own(made, camvid_small):
    tmp_path, _ = made
    shutil.copytree(tmp_path / "pred" / "gt-degraded", tmp_path / "pred" / "gt2")
    (tmp_path / "pred" / "gt2" / "record.json").unlink()  # another project's folder, as is
    params = {"datasets": ["camvid"],
              "benchmarks": {"camvid": {"root": str(camvid_small), "eval": ["val", "test"]}},
              "reference_methods": {"gt-degraded": {"downscale": 4}},
              "external": {"gt2": {"dataset": "camvid", "src": "elsewhere"}},
              "metrics": {"tc-flow": "none"}}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    out, metrics = tmp_path / "results", tmp_path / "metrics"
    for folder in (out, metrics):
        folder.mkdir()
        (folder / "my_notes.json").write_text('{"mine": 1}')
    score = ["score", "--params", str(path), "--dataset", "camvid", "--predictions",
             str(tmp_path / "pred"), "--out", str(out), "--metrics", str(metrics), "--counts",
             str(tmp_path / "counts"), "--quiet"]
    assert main(score) == 0
    assert {p.name for p in out.glob("[!.]*.json")} == {"gt-degraded.json", "gt2.json",
                                                        "my_notes.json"}
    del params["external"]  # gt2 leaves the params: its files (score's) go, the notes stay
    path.write_text(yaml.safe_dump(params))
    assert main(score) == 0
    for folder in (out, metrics):
        assert sorted(p.name for p in folder.glob("[!.]*.json")) == ["gt-degraded.json",
                                                                     "my_notes.json"]
        assert (folder / "my_notes.json").read_text() == '{"mine": 1}'
    row = json.loads((metrics / "gt-degraded.json").read_text())
    assert row["mIoU"] == json.loads((out / "gt-degraded.json").read_text())["test"]["mIoU"]
    # results of an earlier version (a fingerprint, no marker, no manifest) are re-scored
    old = json.loads((out / "gt-degraded.json").read_text())
    del old["made_by"]
    old["fingerprint"] = "of an earlier version"
    (out / "gt-degraded.json").write_text(json.dumps(old))
    (out / ".scored.json").unlink()
    assert main(score) == 0
    assert json.loads((out / "gt-degraded.json").read_text())["made_by"] == "vss score"


def test_report_with_an_unknown_qualitative_method_names_the_setting_and_writes_nothing(
        made, capsys, camvid_small):
    tmp_path, _ = made
    params = {"datasets": ["camvid"],
              "benchmarks": {"camvid": {"root": str(camvid_small), "eval": ["val", "test"]}},
              "reference_methods": {"gt-degraded": {}}, "masks": {"oracle": {"source": "oracle"}},
              "report": {"qualitative": {"dataset": "camvid", "frames": ["0016E5_07959"],
                                         "methods": ["gt-degraded", "fastscnn"],
                                         "masks": "oracle"}}}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    err = one_line_error(capsys, ["report", "--params", path, "--results",
                                  tmp_path / "results", "--out", tmp_path / "reports"])
    assert "report.qualitative.methods: ['fastscnn'] are not methods the params make" in err
    assert not (tmp_path / "reports").exists()


def test_an_unreachable_ray_cluster_is_named_at_once_before_any_output(tmp_path, capsys,
                                                                      camvid_small):
    pytest.importorskip("ray")
    start = time.monotonic()
    err = one_line_error(capsys, ["masks", "--dataset", "camvid", "--root", camvid_small,
                                  "--source", "oracle", "--out", tmp_path / "m", "--executor",
                                  "ray", "--address", "127.0.0.1:1"])
    assert time.monotonic() - start < 30
    assert "no Ray cluster at '127.0.0.1:1'" in err and "ray start --head" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("kind", ["rgb", "16-bit", "wrong size", "out of range"])
def test_import_checks_every_file_as_evaluation_does_before_writing(made, capsys, kind,
                                                                   camvid_small):
    tmp_path, data = made
    src = tmp_path / "theirs"
    shutil.copytree(tmp_path / "pred" / "gt-degraded", src)
    bad = src / "Seq05VD" / "Seq05VD_f00030.png"
    label = np.asarray(Image.open(bad))
    if kind == "rgb":
        Image.fromarray(np.stack([label] * 3, -1)).save(bad)
    elif kind == "16-bit":
        Image.fromarray(label.astype(np.uint16) * 10).save(bad)
    elif kind == "wrong size":
        write_label(bad, label[:100])
    else:
        write_label(bad, np.full_like(label, 42))
    err = one_line_error(capsys, ["import", *data, "--src", src, "--out", tmp_path / "imported"])
    assert str(bad) in err
    assert not (tmp_path / "imported").exists()


def test_a_vspw_video_name_with_a_space_is_read_whole(tmp_path, camvid_root):
    from replication.data.mini import make_vspw
    from replication.data.vspw import VSPW

    root = make_vspw(camvid_root, tmp_path / "official")
    data = root / "data"
    (data / "1001_CamVid0016E5a").rename(data / "1001 Cam Vid")
    listing = root / "val.txt"
    listing.write_text(listing.read_text().replace("1001_CamVid0016E5a", "1001 Cam Vid"))
    videos = VSPW(root).videos("val")
    assert [v.name for v in videos] == ["1001 Cam Vid", "1002_CamVid0016E5b"]
    assert len(videos[0].frames) == 9


def test_a_full_disk_leaves_the_previous_output_whole(made):
    """refine under a file-size limit (as a full disk): one error line, the refined folder
    of the earlier run as it was, no staging left."""
    import resource
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    tmp_path, data = made
    args = [sys.executable, "-m", "replication", "refine", *data, "--pred",
            str(tmp_path / "pred" / "gt-degraded"), "--masks", str(tmp_path / "masks"),
            "--out", str(tmp_path / "refined")]
    assert subprocess.run(args, cwd=REPO, capture_output=True).returncode == 0
    before = files(tmp_path / "refined")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    run = subprocess.run(args, cwd=REPO, capture_output=True, text=True, preexec_fn=limit)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "File too large" in run.stderr.splitlines()[-1]
    assert files(tmp_path / "refined") == before
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_results_in_git_hold_videos_and_classes_as_columns_read_back_exactly(made,
                                                                             camvid_small):
    from replication.core.atomic import json_text
    from replication.metrics.summaries import pack, unpack

    tmp_path, data = made
    params = {"datasets": ["camvid"],
              "benchmarks": {"camvid": {"root": str(camvid_small), "eval": ["val", "test"]}},
              "reference_methods": {"gt-degraded": {"downscale": 4}}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert main(["score", "--params", str(tmp_path / "params.yaml"), "--dataset", "camvid",
                 "--predictions", str(tmp_path / "pred"), "--out", str(tmp_path / "results"),
                 "--metrics", str(tmp_path / "m"), "--counts", str(tmp_path / "c"),
                 "--quiet"]) == 0
    assert main(["evaluate", *data, "--pred", str(tmp_path / "pred" / "gt-degraded"),
                 "--out", str(tmp_path / "alone.json")]) == 0
    stored = json.loads((tmp_path / "results" / "gt-degraded.json").read_text())
    alone = json.loads((tmp_path / "alone.json").read_text())
    for split in ("val", "test"):
        columns = stored[split]["per_video"]
        assert columns["index"] == list(alone[split]["per_video"])
        assert columns["mIoU"] == [v["mIoU"] for v in alone[split]["per_video"].values()]
        assert unpack(stored)[split]["per_class"] == alone[split]["per_class"]
        assert json.dumps(unpack(stored)[split]["per_video"]) == json.dumps(
            alone[split]["per_video"])  # NaN (a video too short for mVC16) included
    # at VSPW's size (343 val videos, 124 classes) a method's summaries stay under 64 KB
    rng = np.random.default_rng(0)
    per_class = {f"class {c}": {"IoU": rng.random(), "BIoU": rng.random(),
                                "intersection": int(rng.integers(1e9)),
                                "union": int(rng.integers(1e9)),
                                "band_intersection": int(rng.integers(1e9)),
                                "band_union": int(rng.integers(1e9))} for c in range(124)}
    per_video = {f"{v}_{'x' * 12}": {"frames": 73, **{m: rng.random() for m in (
        "mIoU", "mBIoU", "mVC8", "mVC16")}} for v in range(343)}
    result = {"val": {**stored["val"], "per_class": per_class, "per_video": per_video,
                      "tc": {"per_video": {v: rng.random() for v in per_video}}}}
    assert unpack(pack(result)) == result
    assert len(json_text(pack(result))) < 64_000 < len(json.dumps(result, indent=2))
