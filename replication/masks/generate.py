"""Run a masklet source over dataset splits: one atomic file per video.

Videos already done with the same settings are skipped (so an interrupted run resumes, a run
with other settings redoes them, and `shard` splits the videos between processes or machines: no
source needs to see every video). Videos are done here, in worker processes (weight-free
sources), or on a Ray cluster (replication.core.executor).
"""
from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

from tqdm import tqdm

from replication.core.atomic import NOT_RUN_FILE, check_not_input, check_ours
from replication.core.executor import Executor, run
from replication.core.records import write_record
from replication.data.dataset import Dataset, split_videos
from replication.masks.linking import link_across_windows
from replication.masks.sam2.budget import CPUBudget
from replication.masks.sam2.budget import check as check_budget
from replication.masks.store import VideoMasklets, load, masklet_path, save


def generate(source, dataset: Dataset, splits: list[str], out_dir: Path, *,
             shard: tuple[int, int] = (0, 1), workers: int = 1,
             executor: Executor | None = None, budget: CPUBudget | None = None) -> dict:
    """Write `<out_dir>/<split>/<video>.json.gz` for the videos of this shard (longest first),
    skipping those already made with the same settings: in this process, in `workers`
    processes, or on a Ray cluster (`executor`, replication.core.executor: each worker loads the
    model once, the files are written here). A source that can `estimate` its time is first
    held to `budget` when it runs here (replication.masks.sam2.budget). Returns counts and the
    videos that failed.
    Worker processes end with this one, however it ends."""
    index, count = shard
    settings = source.settings()
    videos = split_videos(dataset, splits)[index::count]
    todo = sorted((sv for sv in videos
                   if not _done(masklet_path(out_dir, sv[0], sv[1].name), settings)),
                  key=lambda sv: -len(sv[1].frames))
    check_not_input([out_dir], [dataset.root])
    check_ours(out_dir)
    if executor is not None:
        executor.connect()  # an unreachable cluster is named before anything is written
    in_process = executor is None or executor.kind == "inprocess"
    if budget is not None and in_process and todo and hasattr(source, "estimate"):
        check_budget(budget, source.device,
                     lambda: source.estimate([v for _, v in todo], dataset),
                     f"{source.name} masklets of {len(todo)} videos")
    (Path(out_dir) / NOT_RUN_FILE).unlink(missing_ok=True)  # an earlier run's: it runs now
    write_record(out_dir, "masks", dataset=dataset.name, source=source.name, settings=settings)
    counts = {"videos": len(videos), "made": len(todo), "already_done": len(videos) - len(todo),
              "failed": {}}
    desc = f"masks {source.name}"
    if executor is not None and executor.kind == "ray":
        outcome = run([(dataset, split, video) for split, video in todo],
                      functools.partial(_loaded, source), _masklets,
                      functools.partial(_save, out_dir), executor, desc=desc,
                      name=lambda job: f"{job[1]}/{job[2].name}")
        return {**counts, "made": outcome.done, "failed": outcome.failed,
                "retried": outcome.retried}
    jobs = [(source, (dataset, split, video), out_dir) for split, video in todo]
    if workers > 1 and len(todo) > 1:
        # Pool's exit terminates the workers, also on an error or SIGTERM; a watchdog in each
        # worker ends it if this process is killed outright (kill -9)
        with multiprocessing.Pool(min(workers, len(todo)), initializer=_exit_with_parent,
                                  initargs=(os.getpid(),)) as pool:
            for _ in tqdm(pool.imap_unordered(_make, jobs), total=len(jobs), desc=desc,
                          unit="video"):
                pass
    else:
        for job in tqdm(jobs, desc=desc, unit="video"):
            _make(job)
    return counts


def _exit_with_parent(parent: int) -> None:
    """Worker set-up: SIGTERM kills (as Pool.terminate expects; the parent's handler is
    inherited through fork), and a watchdog exits when the parent is gone."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _done(path: Path, settings: dict) -> bool:
    """Whether a video's masklet file is there, readable and made with `settings` (else it is
    made again)."""
    try:
        return load(path).settings == settings
    except (FileNotFoundError, ValueError):
        return False


def _loaded(source):
    """A worker's source, its model (if any) loaded once."""
    return source.load() if hasattr(source, "load") else source


def _masklets(source, job: tuple) -> VideoMasklets:
    """One video's masklets (linked across windows if the source says so), with the source's
    settings and the seconds it took."""
    dataset, _, video = job
    start = time.perf_counter()
    vm = source.masklets(video, dataset)
    if getattr(source, "across_windows", None) is not None:  # a Windowed source's option
        vm = link_across_windows(vm, source.window, source.across_windows)
    vm.seconds = round(time.perf_counter() - start, 3)  # this video's time in its process
    vm.settings = source.settings()
    return vm


def _save(out_dir: Path, job: tuple, vm: VideoMasklets) -> None:
    save(masklet_path(out_dir, job[1], job[2].name), vm)


def _make(job: tuple) -> None:
    source, video_job, out_dir = job
    _save(out_dir, video_job, _masklets(source, video_job))
