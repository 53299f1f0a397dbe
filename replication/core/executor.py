"""Per-video work, in this process or on a Ray cluster (`--executor ray`).

A job is one video. `run` hands jobs to workers that each build their model once
(`make_worker`) and turn a job into a result (`work(worker, job)`); the driver writes each
result as it arrives (`write(job, result)`: atomically, on the driver's own disk, so the cluster
needs no shared file system for outputs), with one progress bar and ETA. Jobs go out longest
first. On Ray: one actor per GPU (or per `cpus` CPUs when the cluster has no GPU) takes jobs from
the driver's queue; an actor that dies (a killed process, a lost node) is replaced and its video
retried; a video whose work raises is named with its error while the others finish, and the run
reports it as failed (the CLI then exits non-zero). A worker computes with as many threads as it
has CPUs (`cpus`, at least 1): outputs are byte-identical to an in-process run that takes the
same float path (the same processor, and on CPUs the same thread count; with oneDNN limited to
AVX2, a random-weight SAM2 gave other masks on 1 thread than on 2). Every node needs this
repository's environment (`.venv`) and the inputs (the benchmark's folder, a checkpoint) at the
same path, or on a shared path.
"""
from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from replication.core.errors import InputError
from replication.core.settings import Settings, setting

KINDS = ("inprocess", "ray")
# A fault hook for tests: `<job name>=<folder>` makes the first Ray worker given that job write
# its pid to <folder>/worker.pid and wait, so a test can kill a worker that provably holds a job.
HOLD_ENV = "VSS_TEST_HOLD_JOB"


@dataclass
class Executor(Settings):
    """Where per-video work runs (`executor:` in params; the flags of masks and predict)."""

    kind: str = setting("inprocess", "where the videos are done: here, or on a Ray cluster",
                        choices=KINDS, flag="executor")
    address: str = setting("auto", "ray: `auto` (a running cluster), HOST:PORT, or `local` "
                           "(start one on this machine)", flag=("ray-address", "address"))
    actors: int | None = setting(None, "ray: workers (default: one per GPU, else CPUs / cpus)",
                                 min=1, flag="ray-actors")
    cpus: float = setting(1.0, "ray: CPUs per worker, also its threads", above=0,
                          flag="ray-cpus")
    gpus: float | None = setting(None, "ray: GPUs per worker (default 1 on a GPU cluster)",
                                 min=0, flag="ray-gpus")
    retries: int = setting(2, "ray: times a video is retried after its worker died", min=0,
                           flag=False)

    def connect(self) -> None:
        """Join the Ray cluster now (for `ray`; nothing in-process), so that an unreachable
        address is reported before any output is written; `run` keeps the connection."""
        if self.kind == "ray":
            import ray

            if not ray.is_initialized():
                _connect(ray, self.address)


@dataclass
class Outcome:
    done: int
    failed: dict[str, str]  # job name -> its error
    retried: int = 0        # jobs given to a new worker after theirs died


def run(jobs: list, make_worker: Callable[[], object], work: Callable, write: Callable,
        executor: Executor, *, name: Callable[[object], str] = str,
        desc: str = "videos") -> Outcome:
    """Do every job (see the module docstring); returns what was done and what failed."""
    if executor.kind == "ray":
        return _run_ray(jobs, make_worker, work, write, executor, name, desc)
    worker, failed = None, {}
    for job in tqdm(jobs, desc=desc, unit="video"):
        if worker is None:
            worker = make_worker()
        write(job, work(worker, job))
    return Outcome(len(jobs), failed)


class _Actor:
    """A Ray worker: builds its model once, then does one video per call."""

    def __init__(self, make_worker: Callable[[], object], work: Callable, threads: int):
        import torch  # the float path can depend on the thread count: pin it

        torch.set_num_threads(threads)
        self.worker, self.work = make_worker(), work

    def do(self, job, hold: str | None = None):
        if hold is not None:
            _hold(Path(hold))
        return self.work(self.worker, job)


def _hold(folder: Path) -> None:
    """The fault hook of HOLD_ENV: the first worker to claim `folder` writes its pid there and
    waits to be killed (at most 10 minutes); a retry on another worker finds it claimed."""
    try:
        os.close(os.open(folder / "claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    (folder / "worker.pid.tmp").write_text(str(os.getpid()))
    os.replace(folder / "worker.pid.tmp", folder / "worker.pid")
    time.sleep(600)


def _run_ray(jobs, make_worker, work, write, executor: Executor, name, desc) -> Outcome:
    import ray
    from ray.exceptions import RayActorError, RayTaskError

    executor.connect()
    try:
        resources = ray.cluster_resources()
        gpus = executor.gpus if executor.gpus is not None else (1.0 if resources.get("GPU")
                                                                else 0.0)
        count = executor.actors or (int(resources.get("GPU", 0) // gpus) if gpus else
                                    int(resources.get("CPU", 1) // executor.cpus))
        actor_class = ray.remote(num_cpus=executor.cpus, num_gpus=gpus)(_Actor)
        threads = max(1, int(executor.cpus))
        workers = [actor_class.remote(make_worker, work, threads)
                   for _ in range(max(1, min(count, len(jobs))))]
        queue, running = deque(jobs), {}
        deaths: dict[str, int] = {}
        outcome = Outcome(0, {})

        hold_job, _, hold_dir = os.environ.get(HOLD_ENV, "").partition("=")

        def give(actor) -> None:
            if queue:
                job = queue.popleft()
                hold = hold_dir if hold_job and name(job) == hold_job else None
                running[actor.do.remote(job, hold)] = (actor, job)

        with tqdm(total=len(jobs), desc=f"{desc} (ray, {len(workers)} workers)",
                  unit="video") as bar:
            for actor in workers:
                give(actor)
            while running:
                [ready], _ = ray.wait(list(running), num_returns=1)
                actor, job = running.pop(ready)
                try:
                    result = ray.get(ready)
                except RayTaskError as exc:  # the work itself failed: name it, go on
                    outcome.failed[name(job)] = _first_line(exc.cause or exc)
                    bar.update()
                    give(actor)
                    continue
                except RayActorError as exc:  # the worker died: replace it, retry its video
                    deaths[name(job)] = deaths.get(name(job), 0) + 1
                    if deaths[name(job)] > executor.retries:
                        outcome.failed[name(job)] = (f"its worker died {deaths[name(job)]} "
                                                     f"times ({_first_line(exc)})")
                        bar.update()
                    else:
                        queue.appendleft(job)
                        outcome.retried += 1
                    give(actor_class.remote(make_worker, work, threads))
                    continue
                write(job, result)
                outcome.done += 1
                bar.update()
                give(actor)
        return outcome
    finally:
        ray.shutdown()


def _connect(ray, address: str) -> None:
    """Join the cluster at `address` (`local`: start a private one on this machine); a
    HOST:PORT where nothing listens is reported at once, not after Ray's retries."""
    import logging
    import socket

    fix = ("start one with `ray start --head` (and `ray start --address HEAD:6379` on the other "
           "nodes), or use --ray-address local")
    host, _, port = address.rpartition(":")
    if host and port.isdigit():
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
        except OSError as exc:
            raise InputError(f"no Ray cluster at {address!r} (nothing answers there: "
                             f"{exc.strerror or exc}); {fix}") from exc
    options = dict(logging_level=logging.ERROR, log_to_driver=False, ignore_reinit_error=True)
    try:
        if address == "local":
            ray.init(include_dashboard=False, **options)
        else:
            ray.init(address=address, **options)
    except ConnectionError as exc:
        raise InputError(f"no Ray cluster at {address!r} ({_first_line(exc)}); {fix}") from exc


def _first_line(exc) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
