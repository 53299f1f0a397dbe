"""`vss evaluate` on label folders: results JSON, and clear errors for bad input."""
import json

import numpy as np
import pytest

from replication.cli import main
from replication.data.labels import write_label
from tests.reference import perturb, random_video, reference_metrics


@pytest.fixture
def folders(tmp_path):
    rng = np.random.default_rng(5)
    n = 4
    videos = {}
    for name, length, shape in (("a", 18, (30, 40)), ("b", 10, (25, 20))):
        gts = random_video(rng, length, shape, n)
        videos[name] = [(g, perturb(rng, g, n)) for g in gts]
        for t, (g, p) in enumerate(videos[name]):
            write_label(tmp_path / "gt" / name / f"{t:05d}.png", g)
            write_label(tmp_path / "pred" / name / f"{t:05d}.png", p)
    return tmp_path, videos, n


def evaluate(tmp_path, n, *extra):
    out = tmp_path / "result.json"
    code = main(["evaluate", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"),
                 "--num-classes", str(n), "--out", str(out), "--quiet", *extra])
    return code, out


def test_cli_writes_the_reference_metrics(folders):
    tmp_path, videos, n = folders
    code, out = evaluate(tmp_path, n)
    assert code == 0
    result = json.loads(out.read_text())
    want = reference_metrics(videos, n)
    for metric in ("mIoU", "mBIoU", "mVC8", "mVC16"):
        assert result[metric] == pytest.approx(want[metric], abs=1e-9, nan_ok=True)
    assert np.isnan(result["per_video"]["b"]["mVC16"])  # 10 frames: too short for k = 16
    assert result["frames"] == 28 and result["videos"] == 2
    assert set(result["per_class"]) == {f"class_{c}" for c in range(n)}
    assert result["per_video"]["b"]["frames"] == 10


def test_frames_are_read_in_natural_order(tmp_path):
    # frame "10" must follow "9": lexicographic order would break the temporal windows
    still, moving = np.zeros((4, 4), np.uint8), np.ones((4, 4), np.uint8)
    for t in range(11):
        write_label(tmp_path / "gt" / "v" / f"f{t}.png", still if t < 10 else moving)
        write_label(tmp_path / "pred" / "v" / f"f{t}.png", still if t < 10 else moving)
    code, out = evaluate(tmp_path, 2, "--vc-windows", "2", "--strict-vc")
    assert code == 0
    # sorted lexicographically, f10 would sit second and break the second window
    assert json.loads(out.read_text())["mVC2"] == 1.0


def test_missing_prediction_is_named(folders, capsys):
    tmp_path, _, n = folders
    (tmp_path / "pred" / "b" / "00003.png").unlink()
    code, out = evaluate(tmp_path, n)
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err
    assert "1 prediction(s) missing" in err and "b/00003.png" in err


def test_size_mismatch_is_named(folders, capsys):
    tmp_path, _, n = folders
    write_label(tmp_path / "pred" / "a" / "00002.png", np.zeros((30, 41), np.uint8))
    code, _ = evaluate(tmp_path, n)
    err = capsys.readouterr().err
    assert code == 1 and "a/00002.png" in err and "(30, 41)" in err and "(30, 40)" in err


def test_label_out_of_range_is_named(folders, capsys):
    tmp_path, _, n = folders
    bad = np.zeros((25, 20), np.uint8)
    bad[0, 0] = n
    write_label(tmp_path / "pred" / "b" / "00001.png", bad)
    code, _ = evaluate(tmp_path, n)
    err = capsys.readouterr().err
    assert code == 1 and "b/00001.png" in err and f"[{n}]" in err


def test_unreadable_png_is_named(folders, capsys):
    tmp_path, _, n = folders
    (tmp_path / "gt" / "a" / "00004.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    code, _ = evaluate(tmp_path, n)
    err = capsys.readouterr().err
    assert code == 1 and "gt/a/00004.png" in err and "unreadable" in err


def test_colour_png_is_rejected(folders, capsys):
    from PIL import Image

    tmp_path, _, n = folders
    Image.new("RGB", (40, 30)).save(tmp_path / "pred" / "a" / "00000.png")
    code, _ = evaluate(tmp_path, n)
    err = capsys.readouterr().err
    assert code == 1 and "pred/a/00000.png" in err and "mode RGB" in err


def test_missing_ground_truth_folder(tmp_path, capsys):
    code, _ = evaluate(tmp_path, 3)
    assert code == 1 and "no such folder" in capsys.readouterr().err


def test_vss_evaluate_does_not_import_torch_or_mmseg(tmp_path):
    """`vss evaluate` starts fast: none of the network packages are imported for it."""
    import subprocess
    import sys

    write_label(tmp_path / "gt" / "v" / "f0.png", np.zeros((4, 4), np.uint8))
    write_label(tmp_path / "pred" / "v" / "f0.png", np.zeros((4, 4), np.uint8))
    code = ("import sys; from replication.cli import main; "
            f"assert main(['evaluate', '--pred', {str(tmp_path / 'pred')!r}, '--gt', "
            f"{str(tmp_path / 'gt')!r}, '--num-classes', '2', '--out', "
            f"{str(tmp_path / 'r.json')!r}, '--quiet']) == 0; "
            "print(sorted(m for m in ('torch', 'mmseg', 'mmengine', 'sam2', 'pandas') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
