"""Masklets and baseline inference on a real local Ray cluster (CPU; started and stopped here):
files byte-identical to the in-process run, a killed worker replaced and its video retried,
a re-run that does no work, and a video that fails for good named while the others finish."""
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("ray")

from replication.cli import main  # noqa: E402
from replication.core.executor import Executor  # noqa: E402
from replication.data.registry import get_dataset  # noqa: E402
from replication.masks.generate import generate  # noqa: E402
from replication.masks.oracle import Oracle  # noqa: E402
from replication.masks.superpixel import Superpixel  # noqa: E402

RAY = str(Path(sys.executable).with_name("ray"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A one-node Ray cluster on loopback with 2 CPUs, as `ray start --head` makes one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    subprocess.run([RAY, "start", "--head", "--node-ip-address", "127.0.0.1", "--port",
                    str(port), "--num-cpus", "2", "--num-gpus", "0", "--include-dashboard",
                    "false", "--disable-usage-stats"], check=True, env=env,
                   capture_output=True, timeout=180)
    yield f"127.0.0.1:{port}"
    subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)


@contextmanager
def threads(n: int):
    """The in-process side computes with as many threads as a 1-CPU worker: the float path can
    depend on the thread count (it does with oneDNN limited to AVX2)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def masks_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*.json.gz"))}


def test_masklets_on_ray_are_byte_identical_and_a_rerun_does_no_work(tmp_path, camvid_small,
                                                                      cluster,
                                                                      random_checkpoint):
    from replication.masks.sam2.source import SAM2Source
    from tests.conftest import SAM2_CONFIG

    dataset = get_dataset("camvid", camvid_small)
    ray = Executor("ray", address=cluster)
    sam2 = SAM2Source(SAM2_CONFIG, random_checkpoint, window=2, points_per_side=4,
                      pred_iou_thresh=0, stability_score_thresh=0, max_masklets=4,
                      device="cpu")
    for source, splits in ((Oracle(), ["train", "val", "test"]),
                           (Superpixel(), ["train", "val", "test"]), (sam2, ["test"])):
        here, there = tmp_path / source.name / "here", tmp_path / source.name / "ray"
        with threads(1):
            generate(source, dataset, splits, here)
        done = generate(source, dataset, splits, there, executor=ray)
        assert done["made"] == len(masks_bytes(here)) and not done["failed"]
        assert masks_bytes(there) == masks_bytes(here), source.name
        again = generate(source, dataset, splits, there, executor=ray)
        assert again["made"] == 0 and again["already_done"] == done["made"]


def test_predictions_on_ray_are_byte_identical(tmp_path, camvid_small, cluster):
    from baselines.predict import predict
    from replication.experiments.ci_profile import CHECKPOINT

    dataset = get_dataset("camvid", camvid_small)
    with threads(1):
        predict(CHECKPOINT, dataset, ["val", "test"], tmp_path / "here", device="cpu")
    info = predict(CHECKPOINT, dataset, ["val", "test"], tmp_path / "ray", device="cpu",
                   executor=Executor("ray", address=cluster))
    pngs = [sorted((tmp_path / side).rglob("*.png")) for side in ("here", "ray")]
    assert len(pngs[0]) == 2 * info["frames"] == 10  # the labels and their confidence
    assert [p.read_bytes() for p in pngs[0]] == [p.read_bytes() for p in pngs[1]]


def test_a_killed_worker_is_replaced_and_its_video_retried(tmp_path, camvid_small, cluster,
                                                           capsys):
    """Oracle masklets of camvid_small's 5 videos on 2 workers: the worker given train/0001TP
    holds it (the executor's fault hook) until the test kills that worker's process; the video
    is retried on a new worker, every video ends up made once, and a re-run does nothing."""
    from replication.core.executor import HOLD_ENV

    out, hold = tmp_path / "masks", tmp_path / "hold"
    hold.mkdir()
    args = ["masks", "--dataset", "camvid", "--root", str(camvid_small), "--source", "oracle",
            "--out", str(out), "--executor", "ray", "--ray-address", cluster]
    proc = subprocess.Popen([sys.executable, "-m", "replication", *args],
                            env={**os.environ, HOLD_ENV: f"train/0001TP={hold}"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pid_file = hold / "worker.pid"
    deadline = time.monotonic() + 600  # a safety net only: the worker waits to be killed
    while not pid_file.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.is_file(), "no worker took the held video"
    os.kill(int(pid_file.read_text()), signal.SIGKILL)  # it holds train/0001TP right now
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output[-2000:]
    assert "1 retried on a new worker" in output
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.json.gz")) == [
        "test/Seq05VD.json.gz", "train/0001TP.json.gz", "train/0006R0.json.gz",
        "train/0016E5.json.gz", "val/0016E5.json.gz"]
    assert main([*args[:-2], "--address", cluster]) == 0  # the short spelling of --ray-address
    assert "0 videos made, 5 already done" in capsys.readouterr().out  # a re-run: no work


def test_a_video_that_fails_is_named_and_the_others_finish(tmp_path, camvid_small, cluster,
                                                           capsys):
    label = camvid_small / "valannot" / "0016E5_07961.png"
    original = label.read_bytes()
    label.write_bytes(b"not a png")  # the oracle reads labels: this video fails
    try:
        code = main(["masks", "--dataset", "camvid", "--root", str(camvid_small), "--splits",
                     "val", "test", "--source", "oracle", "--out", str(tmp_path / "m"),
                     "--executor", "ray", "--ray-address", cluster])
    finally:
        label.write_bytes(original)
    err = capsys.readouterr().err
    assert code == 1 and "1 video(s) failed" in err and "val/0016E5" in err
    assert "0016E5_07961.png" in err
    assert (tmp_path / "m" / "test" / "Seq05VD.json.gz").is_file()
