"""Bad inputs and interruptions: a clear error naming the file and the fix (never a traceback),
nothing half-written, nothing of the user's destroyed, no code run from a checkpoint."""
import functools
import gzip
import http.server
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from replication.cli import main
from replication.core.atomic import staged_dir
from replication.core.hashing import sha256_file
from replication.core.not_run import mark_not_run
from replication.data.fetch import FetchError, fetch
from replication.masks.generate import generate
from replication.masks.oracle import Oracle
from replication.masks.store import load, masklet_path
from tests.conftest import REPO

FILES = ["val/0016E5_07959.png", "valannot/0016E5_07959.png", "test/Seq05VD_f00000.png"]


def hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def vss(*args, **kwargs) -> subprocess.Popen:
    """`vss ...` in its own process (for signals)."""
    return subprocess.Popen([sys.executable, "-m", "replication", *map(str, args)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture
def sums(camvid_root):
    return {rel: sha256_file(camvid_root / rel) for rel in FILES}


# --- nothing half-written, nothing destroyed -------------------------------------------------

def test_staging_of_a_killed_fetch_is_removed_by_the_next_run(tmp_path, camvid_root, sums):
    dest = tmp_path / "data" / "camvid"
    stale = dest.parent / f".camvid.partial-{socket.gethostname()}-{dead_pid()}"
    (stale / "val").mkdir(parents=True)
    (stale / "val" / "half.png").write_bytes(b"half")
    other_host = dest.parent / ".camvid.partial-elsewhere-1"
    other_host.mkdir()  # another machine's fetch on a shared disk: not ours to remove
    fetch(dest, sums, mirror=camvid_root, url="unused")
    assert hidden(dest.parent) == [other_host.name]
    stale.mkdir()
    assert "present and verified" in fetch(dest, sums, mirror=camvid_root, url="unused")
    assert hidden(dest.parent) == [other_host.name]


class SlowHandler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if "0016E5" in self.path:
            time.sleep(5)  # these files arrive slowly: the fetch is still running
        super().do_GET()

    def log_message(self, *args):
        pass


def test_sigterm_during_fetch_leaves_no_staging(tmp_path, camvid_root):
    handler = functools.partial(SlowHandler, directory=str(camvid_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dest = tmp_path / "data" / "camvid"
    try:
        proc = vss("fetch", "camvid", "--dest", dest,
                   "--url", f"http://127.0.0.1:{server.server_port}",
                   env={**os.environ, "VSS_CAMVID_MIRROR": ""})
        deadline = time.time() + 60
        while not (dest.parent.is_dir() and hidden(dest.parent)) and time.time() < deadline:
            time.sleep(0.1)
        assert hidden(dest.parent), "the fetch never started staging"
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        server.shutdown()
    assert proc.returncode != 0
    assert hidden(dest.parent) == [] and not dest.exists()


def test_fetch_refuses_a_dest_holding_other_files(tmp_path, camvid_root, sums):
    dest = tmp_path / "mine"
    (dest / "thesis").mkdir(parents=True)
    (dest / "thesis" / "draft.tex").write_text("months of work")
    with pytest.raises(FetchError, match=r"mine: holds 1 file\(s\) that are not part of the "
                                         r"dataset \(e.g. thesis/draft.tex\); refusing"):
        fetch(dest, sums, mirror=camvid_root, url="unused")
    assert (dest / "thesis" / "draft.tex").read_text() == "months of work"
    assert hidden(tmp_path) == []


def test_not_run_marker_refuses_a_folder_with_user_content(tmp_path, camvid_small, capsys):
    out = tmp_path / "results_i_made"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code = main(["masks", "--dataset", "camvid", "--root", str(camvid_small), "--source", "sam2",
                 "--sam2-checkpoint", str(tmp_path / "absent.pt"), "--record-not-run",
                 "--out", str(out)])
    assert code == 1 and (out / "notes.txt").read_text() == "keep me"
    assert "holds files this suite did not make (e.g. notes.txt)" in capsys.readouterr().err
    mark_not_run(tmp_path / "new", "why", "fix")  # an absent or earlier not-run folder: fine
    mark_not_run(tmp_path / "new", "why again", "fix")
    assert json.loads((tmp_path / "new" / "NOT_RUN.json").read_text())["reason"] == "why again"


def test_an_interrupted_output_leaves_the_previous_one_whole(tmp_path):
    out = tmp_path / "pred"
    with staged_dir(out) as staging:
        (staging / "a.png").write_bytes(b"first run")
        (staging / "record.json").write_text("{}")
    with pytest.raises(KeyboardInterrupt):
        with staged_dir(out) as staging:
            (staging / "a.png").write_bytes(b"second run, half")
            raise KeyboardInterrupt
    assert (out / "a.png").read_bytes() == b"first run" and hidden(tmp_path) == []


def test_refine_output_from_an_interrupted_run_is_never_mixed(tmp_path, camvid_small,
                                                              monkeypatch):
    from replication.approaches import refine

    data = ["--dataset", "camvid", "--root", str(camvid_small), "--splits", "val", "test"]
    pred, masks, out = tmp_path / "pred", tmp_path / "masks", tmp_path / "refined"
    assert main(["degrade", *data, "--out", str(pred), "--downscale", "4"]) == 0
    assert main(["masks", *data, "--source", "oracle", "--out", str(masks)]) == 0
    assert main(["refine", *data, "--pred", str(pred), "--masks", str(masks),
                 "--out", str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the second video
        return real(*args, **kwargs)

    real = refine.refine_video
    monkeypatch.setattr(refine, "refine_video", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["refine", *data, "--pred", str(pred), "--masks", str(masks), "--vote", "frame",
              "--out", str(out)])
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert hidden(tmp_path) == []


def test_killing_the_masks_parent_stops_its_workers(tmp_path, camvid_root):
    psutil = pytest.importorskip("psutil")
    proc = vss("masks", "--dataset", "camvid", "--root", camvid_root, "--splits", "train",
               "--source", "superpixel", "--workers", "2", "--out", tmp_path / "masks")
    parent = psutil.Process(proc.pid)
    deadline = time.time() + 120
    while len(parent.children()) < 2 and time.time() < deadline:
        time.sleep(0.2)
    workers = parent.children()
    assert len(workers) == 2, "the workers never started"
    proc.kill()  # kill -9: no cleanup runs in the parent
    proc.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} worker(s) kept running after their parent was killed"


def test_masklets_made_with_other_settings_are_redone(tmp_path, camvid_small):
    from replication.data.camvid import CamVid

    dataset = CamVid(camvid_small)
    out = tmp_path / "masks"
    assert generate(Oracle(window=32), dataset, ["val"], out)["made"] == 1
    assert generate(Oracle(window=32), dataset, ["val"], out)["already_done"] == 1
    assert generate(Oracle(window=2), dataset, ["val"], out)["made"] == 1
    vm = load(masklet_path(out, "val", "0016E5"))
    assert vm.settings == {"window": 2}
    assert all(len(m.rle) - m.rle.count(None) <= 2 for m in vm.masklets)
    record = json.loads((out / "record.json").read_text())
    assert record["source"] == "oracle" and record["settings"] == {"window": 2}


def test_a_downloaded_bad_checkpoint_is_removed_and_recorded_as_not_run(tmp_path):
    pytest.importorskip("sam2")
    page = tmp_path / "error.html"
    page.write_text("<html><body>Access denied</body></html>")
    dest, record = tmp_path / "checkpoints" / "sam2.1_hiera_tiny.pt", tmp_path / "record.json"
    assert main(["sam2-checkpoint", "--dest", str(dest), "--url", page.as_uri(), "--config",
                 "configs/sam2.1/sam2.1_hiera_t.yaml", "--record", str(record)]) == 0
    result = json.loads(record.read_text())
    assert result["available"] is False and "HTML" in result["reason"]
    assert not dest.exists() and list(dest.parent.iterdir()) == []


# --- a clear error for every bad input -------------------------------------------------------

def bad_files(folder):
    """Files that are not checkpoints, each with the words its error must contain."""
    torch = pytest.importorskip("torch")
    folder.mkdir(exist_ok=True)
    (folder / "text.pt").write_text("model weights go here\n")
    (folder / "empty.pt").write_bytes(b"")
    (folder / "page.pt").write_text("<!DOCTYPE html><html><title>404</title></html>")
    (folder / "random.pt").write_bytes(np.random.default_rng(0).bytes(4096))
    (folder / "plain.pt").write_bytes(pickle.dumps({"model": {"w": [1.0, 2.0]}}))
    torch.save({"state_dict": {"w": torch.zeros(2)}}, folder / "whole.pt")
    (folder / "truncated.pt").write_bytes((folder / "whole.pt").read_bytes()[:300])
    return {"text.pt": "a text file", "empty.pt": "an empty file", "page.pt": "HTML",
            "random.pt": "binary data", "plain.pt": "plain Python pickle",
            "truncated.pt": "damaged or truncated"}


def test_predict_names_a_checkpoint_that_is_not_one(tmp_path, camvid_small, capsys):
    for name, words in bad_files(tmp_path / "ckpt").items():
        code = main(["predict", "--checkpoint", str(tmp_path / "ckpt" / name), "--dataset",
                     "camvid", "--root", str(camvid_small), "--out", str(tmp_path / "p")])
        err = capsys.readouterr().err
        assert code == 1 and f"{name}: " in err and words in err, err
        assert "--trust-checkpoint" not in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("command", ["sam2-checkpoint", "masks"])
def test_sam2_commands_name_a_file_that_is_not_a_sam2_checkpoint(tmp_path, camvid_small,
                                                                 capsys, command):
    torch = pytest.importorskip("torch")
    pytest.importorskip("sam2")
    expected = bad_files(tmp_path / "ckpt")
    torch.save({"w": torch.zeros(2)}, tmp_path / "ckpt" / "bare.pt")
    expected.update({"whole.pt": "no `model` state dict", "bare.pt": "a bare state dict"})
    for name, words in expected.items():
        path = tmp_path / "ckpt" / name
        if command == "sam2-checkpoint":
            args = ["sam2-checkpoint", "--dest", str(path), "--url", "http://127.0.0.1:9/x.pt",
                    "--config", "configs/sam2.1/sam2.1_hiera_t.yaml",
                    "--record", str(tmp_path / "r.json")]
        else:
            args = ["masks", "--dataset", "camvid", "--root", str(camvid_small), "--splits",
                    "test", "--source", "sam2", "--sam2-checkpoint", str(path),
                    "--record-not-run", "--device", "cpu",
                    "--out", str(tmp_path / "m")]
        code = main(args)
        err = capsys.readouterr().err
        assert code == 1 and f"{name}: " in err and words in err, err
        assert path.is_file()  # the user's file is named, never deleted


def test_a_corrupt_rle_is_named_with_its_file(tmp_path, camvid_small, capsys):
    data = ["--dataset", "camvid", "--root", str(camvid_small), "--splits", "test"]
    masks, pred = tmp_path / "masks", tmp_path / "pred"
    assert main(["masks", *data, "--source", "oracle", "--out", str(masks)]) == 0
    assert main(["degrade", *data, "--out", str(pred)]) == 0
    path = masklet_path(masks, "test", "Seq05VD")
    with gzip.open(path, "rt") as fh:
        doc = json.load(fh)
    rle = next(r for r in doc["masklets"][3]["rle"] if r is not None)
    rle["counts"] = rle["counts"][:-3]  # truncated: pycocotools would decode garbage
    with gzip.open(path, "wt") as fh:
        json.dump(doc, fh)
    code = main(["refine", *data, "--pred", str(pred), "--masks", str(masks),
                 "--out", str(tmp_path / "refined")])
    err = capsys.readouterr().err
    assert code == 1 and f"{path}: masklet 3 at frame Seq05VD_f" in err
    assert "corrupt RLE" in err and "re-run the masks stage" in err


@pytest.mark.parametrize("flags, words", [
    (["--num-classes", "300"], "num_classes must be 1..255"),
    (["--num-classes", "0"], "num_classes must be 1..255"),
    (["--num-classes", "11", "--boundary-ratio", "0"],
     "boundary-ratio: 0.0 is not allowed; it must be > 0 and < 1"),
    (["--num-classes", "11", "--boundary-ratio", "-0.02"],
     "boundary-ratio: -0.02 is not allowed; it must be > 0 and < 1"),
    (["--num-classes", "11", "--vc-windows", "0"],
     "vc-windows: [0] is not allowed; it must be >= 2 and <= 255"),
])
def test_evaluate_rejects_impossible_settings(tmp_path, capsys, flags, words):
    from replication.data.labels import write_label

    write_label(tmp_path / "gt" / "v" / "f0.png", np.zeros((4, 4), np.uint8))
    write_label(tmp_path / "pred" / "v" / "f0.png", np.zeros((4, 4), np.uint8))
    code = main(["evaluate", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"),
                 "--out", str(tmp_path / "r.json"), *flags])
    assert code == 1 and words in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_train_rejects_zero_iterations(tmp_path, camvid_small, capsys):
    code = main(["train", "--model", "fastscnn", "--dataset", "camvid", "--root",
                 str(camvid_small), "--iterations", "0", "--out", str(tmp_path / "m.pth"),
                 "--curve", str(tmp_path / "c.csv")])
    assert code == 1 and ("iterations: 0 is not allowed; it must be >= 1 (optimiser steps). "
                          "Set it in params.yaml or with --iterations"
                          ) in capsys.readouterr().err


# --- no code execution from a checkpoint -----------------------------------------------------

def test_a_checkpoint_cannot_name_a_python_file_to_run(tmp_path, camvid_small, capsys):
    torch = pytest.importorskip("torch")
    from baselines import checkpoint

    marker = tmp_path / "executed"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")
    relative = os.path.relpath(tmp_path / "evil", REPO / "baselines" / "configs")
    checkpoint.save(tmp_path / "c.pth", {"w": torch.zeros(1)}, model=relative, mit=None,
                    classes=list("abcdefghijk"))
    code = main(["predict", "--checkpoint", str(tmp_path / "c.pth"), "--dataset", "camvid",
                 "--root", str(camvid_small), "--out", str(tmp_path / "p")])
    assert code == 1 and "unknown baseline model" in capsys.readouterr().err
    assert not marker.exists()
    code = main(["predict", "--checkpoint", str(tmp_path / "c.pth"), "--model", relative,
                 "--dataset", "camvid", "--root", str(camvid_small), "--out", str(tmp_path / "p")])
    assert code == 1 and not marker.exists()
