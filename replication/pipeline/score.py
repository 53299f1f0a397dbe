"""Score every method the pipeline makes for a benchmark: the library behind `vss score`.

The rows follow from params (replication.pipeline.specs: what each prediction folder is); each
is scored on the benchmark's eval splits and written as `results/<dataset>/<method>.json` with
what it is (its folder's record), and a fingerprint of what was scored (every file of the
prediction folder by its files' sizes and times, the data card, the metric settings). A method
whose fingerprint is unchanged keeps its results (so adding one method does not re-score the
others). The per-frame and per-window units of the bootstrap go to
`counts/<dataset>/<method>.npz` (replication.metrics.counts; a DVC output), so the JSON in git
holds summaries only, per video and class as columns (replication.metrics.summaries). TC
(replication.metrics.tc) is computed for all methods being scored in one pass over the
temporal split's frame pairs.

`results/metrics/<dataset>/<method>.json`, one readable row a method for `dvc metrics show`
(each metric on the split of its role, FPS), is derived from the results files on every run,
so a kill between writing the two can never leave them disagreeing. Score replaces and deletes
only files it wrote: the results folder's `.scored.json` lists them (so results of methods no
longer in params are removed, and a user's own files there are kept).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from replication.core.atomic import MADE_BY, check_json_ours, check_not_input, write_json
from replication.core.errors import InputError
from replication.core.records import read_record
from replication.metrics.counts import save as save_counts
from replication.metrics.counts import split_off
from replication.metrics.evaluate import add_tc, evaluate_dataset
from replication.metrics.specs import result_specs
from replication.metrics.summaries import pack
from replication.pipeline.params import Benchmark, metric_settings
from replication.pipeline.specs import MethodSpec, methods

MANIFEST = ".scored.json"  # in the results folder: the methods whose files score wrote
MADE = "vss score"


def score_benchmark(params: dict, bench: Benchmark, predictions: Path, out: Path,
                    metrics: Path, counts: Path, *, card: Path | None = None,
                    progress: bool = True) -> dict:
    """Score the methods of `bench` (see the module docstring); returns counts."""
    from replication.core.errors import Unavailable
    from replication.data.registry import get_dataset

    predictions, out, metrics, counts = Path(predictions), Path(out), Path(metrics), Path(counts)
    check_not_input([out, metrics, counts], [predictions, card])
    check_not_input([out], [metrics, counts])
    settings = metric_settings(params)
    rows = methods(params, bench.name)
    written = _manifest(out)
    for name in rows:  # nothing of ours is written over a file that is not ours
        if name not in written:
            _check_result_ours(out / f"{name}.json")
            check_json_ours(metrics / f"{name}.json", metrics=True)
    try:
        dataset = get_dataset(bench.name, bench.root)
    except Unavailable as exc:  # the benchmark is not here: every row says why
        dataset, missing = None, {"status": "not run", "reason": str(exc), "fix": exc.fix}
    card_hash = hashlib.sha256(Path(card).read_bytes()).hexdigest() if card else None
    done = {"scored": 0, "kept": 0, "not_run": 0}
    todo = {}  # summaries only: each method's units go to its counts file as it is scored
    _write_manifest(out, written | set(rows))  # before any file: what this run may write
    for name, spec in rows.items():
        folder = predictions / name
        what = identity(folder, spec)
        fingerprint = _fingerprint(folder, {"settings": _jsonable(asdict(settings)),
                                            "card": card_hash, "method": what,
                                            "splits": bench.eval})
        path = out / f"{name}.json"
        kept = json.loads(path.read_text()) if path.is_file() else {}
        if kept.get("fingerprint") == fingerprint and (
                "status" in kept or (counts / f"{name}.npz").is_file()):
            done["kept"] += 1
            continue
        if dataset is None:
            result = {"pred": str(folder), "dataset": bench.name, **missing}
        else:
            result = evaluate_dataset(folder, dataset, list(bench.eval), settings,
                                      progress=progress)
        result.update(method=what, record=read_record(folder), fingerprint=fingerprint,
                      roles={"region": bench.region, "temporal": bench.temporal})
        todo[name], units = split_off(result)
        if units:  # its JSON (written below) names the fingerprint: until then it re-scores
            save_counts(counts / f"{name}.npz", units)
    if dataset is not None and bench.temporal in bench.eval:
        add_tc(todo, {n: predictions / n for n in todo}, dataset, bench.temporal, settings,
               progress=progress)
    for name, result in todo.items():  # each checked ours above (also an earlier version's)
        write_json(out / f"{name}.json", {MADE_BY: MADE, **pack(result)})
        done["not_run" if result.get("status") == "not run" else "scored"] += 1
    for name in rows:  # derived from the results, every run
        row = headline_row(json.loads((out / f"{name}.json").read_text()))
        write_json(metrics / f"{name}.json", row)
    for name in written - set(rows):  # methods no longer in params: only files score wrote
        (out / f"{name}.json").unlink(missing_ok=True)
        (metrics / f"{name}.json").unlink(missing_ok=True)
        (counts / f"{name}.npz").unlink(missing_ok=True)
    _write_manifest(out, set(rows))
    return done


def _check_result_ours(path: Path) -> None:
    """A results file score wrote (also before it marked them: they have a fingerprint)."""
    try:
        if "fingerprint" in json.loads(Path(path).read_text()):
            return
    except (OSError, ValueError, TypeError):
        pass
    check_json_ours(path)


def _manifest(out: Path) -> set[str]:
    """The methods whose results (and metrics rows) score wrote into `out`."""
    path = Path(out) / MANIFEST
    return set(json.loads(path.read_text())["methods"]) if path.is_file() else set()


def _write_manifest(out: Path, names: set[str]) -> None:
    write_json(Path(out) / MANIFEST, {MADE_BY: MADE, "methods": sorted(names)})


def identity(folder: Path, spec: MethodSpec) -> dict:
    """What a prediction folder is: its record's `method` (what made it), which must be what
    params say (`spec`); a folder without a record (not run, or from elsewhere) is `spec`."""
    record = read_record(folder) or {}
    made = record.get("method")
    if made is not None and made != spec.describe():
        raise InputError(f"{folder}: was made as {made}, but params say {spec.describe()}; "
                         f"re-run its stage (`dvc repro {spec.stage}`)")
    return made or spec.describe()


def headline_row(result: dict) -> dict:
    """The `dvc metrics show` row of a result: each metric on the split of its role (region:
    mIoU, mBIoU; temporal: mVC, TC) and FPS (empty when the method did not run)."""
    if result.get("status") == "not run":
        return {}
    row = {}
    for role, split in result["roles"].items():
        values = result.get(split) or {}
        row.update({name: values[name] for name, spec in result_specs(values).items()
                    if spec.role == role and values.get(name) is not None})
    fps = result.get("inference", {}).get("fps")
    return {**row, **({"fps": fps} if fps else {})}


def _jsonable(settings: dict) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in settings.items()}


def _fingerprint(folder: Path, settings: dict) -> str:
    """A stamp of what would be scored: the settings, and the path, size and modification time
    of every file of the prediction folder (a changed file is a new stamp; nothing is read, so
    re-scoring unchanged methods costs a directory walk, also at 100k frames)."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for top, dirs, files in os.walk(folder):  # one folder's names at a time, in a fixed order
        dirs.sort()
        rel = os.path.relpath(top, folder)
        for name in sorted(files):
            stat = os.stat(os.path.join(top, name))
            digest.update(f"{rel}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
