"""Training at scale: frames streamed from disk give the batches the in-memory stream gave, a
killed training resumes to the weights of an uninterrupted one, and two CPU processes train
data-parallel under torchrun (gloo)."""
import csv
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baselines.frames import TrainFrames, enet_weights  # noqa: E402
from baselines.train import resume_folder  # noqa: E402
from replication.core.atomic import KILL_ENV  # noqa: E402
from replication.data.registry import get_dataset  # noqa: E402
from replication.data.video import IGNORE  # noqa: E402
from tests.conftest import REPO  # noqa: E402


def in_memory_batches(dataset, split, rng, n, size, crop, scale):
    """The reference: the earlier loader's stream (every frame decoded up front; per batch the
    frames drawn first, then per frame scale, crop corner and flip, each augmented at once)."""
    frames = [f for v in dataset.videos(split) for f in v.frames if f.label is not None]
    images = [cv2.cvtColor(cv2.imread(str(f.image)), cv2.COLOR_BGR2RGB) for f in frames]
    labels = [dataset.load_label(f) for f in frames]
    ch, cw = crop
    for _ in range(n):
        out_images, out_labels = [], []
        for i in rng.integers(0, len(images), size=size):
            s = rng.uniform(*scale)
            h, w = labels[i].shape
            dsize = (max(1, round(w * s)), max(1, round(h * s)))
            image = cv2.resize(images[i], dsize, interpolation=cv2.INTER_LINEAR)
            label = cv2.resize(labels[i], dsize, interpolation=cv2.INTER_NEAREST)
            ph, pw = max(0, ch - label.shape[0]), max(0, cw - label.shape[1])
            image = np.pad(image, ((0, ph), (0, pw), (0, 0)))
            label = np.pad(label, ((0, ph), (0, pw)), constant_values=IGNORE)
            y = rng.integers(0, label.shape[0] - ch + 1)
            x = rng.integers(0, label.shape[1] - cw + 1)
            image, label = image[y:y + ch, x:x + cw], label[y:y + ch, x:x + cw]
            if rng.random() < 0.5:
                image, label = image[:, ::-1], label[:, ::-1]
            out_images.append(image)
            out_labels.append(label)
        yield np.stack(out_images), np.stack(out_labels)


def test_streamed_crops_equal_the_in_memory_stream(camvid_small):
    dataset = get_dataset("camvid", camvid_small)
    frames = TrainFrames(dataset, "train")
    crop, scale = (200, 300), (0.3, 1.5)  # small scales pad, large ones crop
    want = in_memory_batches(dataset, "train", np.random.default_rng(3), 4, 3, crop, scale)
    rng = np.random.default_rng(3)
    for images, labels in want:
        got = [frames.load(c, crop) for c in frames.draw(rng, 3, crop, scale)]
        assert np.array_equal(np.stack([i for i, _ in got]), images)
        assert np.array_equal(np.stack([lab for _, lab in got]), labels)


def test_class_weights_follow_enet_weighting_in_one_pass_or_a_recorded_sample(camvid_small):
    raw = 1 / np.log(1.02 + np.array([4 / 6, 2 / 6, 0]))
    np.testing.assert_allclose(enet_weights(np.array([4, 2, 0])), raw / raw.mean())
    dataset = get_dataset("camvid", camvid_small)
    frames = TrainFrames(dataset, "train")
    counts = sum(np.bincount(lab[lab != IGNORE], minlength=11) for lab in
                 (dataset.load_label(f) for f in frames.frames))
    weights, counted = frames.class_weights(11, sample=len(frames), seed=0)
    assert counted == len(frames) and weights == enet_weights(counts).round(4).tolist()
    sampled, counted = frames.class_weights(11, sample=2, seed=0)
    assert counted == 2 and sampled == frames.class_weights(11, sample=2, seed=0)[0]
    assert sampled != weights


def train_cmd(root, out, *extra):
    return [sys.executable, "-m", "replication", "train", "--model", "fastscnn", "--dataset",
            "camvid", "--root", str(root), "--iterations", "6", "--batch", "2", "--crop", "64",
            "64", "--log-every", "1", "--checkpoint-every", "2", "--workers", "1", "--out",
            str(out), "--curve", str(out) + ".csv", *extra]


def run(cmd, **env):
    base = {k: v for k, v in os.environ.items() if k != KILL_ENV}
    return subprocess.run(cmd, cwd=REPO, env={**base, **env}, capture_output=True, text=True,
                          timeout=600)


def untimed_curve(path):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(
        path.open())]


@pytest.mark.slow
def test_a_killed_training_resumes_to_the_weights_of_an_uninterrupted_one(tmp_path,
                                                                           camvid_small):
    whole = tmp_path / "whole"
    assert run(train_cmd(camvid_small, whole)).returncode == 0
    want = torch.load(whole / "model.pth", weights_only=True)
    for kill in (1, 2):  # right after the checkpoint of iteration 2, of iteration 4
        out = tmp_path / f"killed-{kill}"
        killed = run(train_cmd(camvid_small, out, "--resume"), **{KILL_ENV: str(kill)})
        assert killed.returncode == -9 and not out.exists()
        assert (resume_folder(out) / "state.pth").is_file()
        resumed = run(train_cmd(camvid_small, out, "--resume"))
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert f"resumed at iteration {2 * kill + 1}" in resumed.stdout
        got = torch.load(out / "model.pth", weights_only=True)
        assert got["state_dict"].keys() == want["state_dict"].keys()
        assert all(torch.equal(got["state_dict"][k], want["state_dict"][k])
                   for k in want["state_dict"])
        assert untimed_curve(out.with_name(out.name + ".csv")) == untimed_curve(
            whole.with_name("whole.csv"))
        assert not resume_folder(out).exists()  # a finished training leaves no checkpoint


@pytest.mark.slow
def test_two_cpu_processes_train_data_parallel_under_torchrun(tmp_path, camvid_small):
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           "2", "-m", "replication", "train", "--model", "fastscnn", "--dataset", "camvid",
           "--root", str(camvid_small), "--iterations", "40", "--batch", "4", "--crop", "96",
           "96", "--lr", "0.01", "--log-every", "10", "--checkpoint-every", "20", "--workers",
           "0", "--device", "cpu", "--out", str(out), "--curve", str(tmp_path / "ddp.csv")]
    done = run(cmd, OMP_NUM_THREADS="1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "rank 1 of 2 finished" in done.stdout and "trained fastscnn" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp", "ddp.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["model.pth", "record.json"]
    meta = torch.load(out / "model.pth", weights_only=True)
    assert meta["train"]["processes"] == 2
    assert json.loads((out / "record.json").read_text())["train"]["processes"] == 2
    losses = [float(r["loss"]) for r in csv.DictReader((tmp_path / "ddp.csv").open())]
    assert len(losses) == 4 and losses[-1] < losses[0]
