"""Score every method the pipeline makes for a benchmark: the library behind `vss score`.

The rows follow from params (replication.pipeline.specs: what each prediction folder is); each
is scored on the benchmark's eval splits and written as `results/<dataset>/<method>.json` with
what it is, the stage's own record, and a fingerprint of what was scored (every file of the
prediction folder, the data card, the metric settings). A method whose fingerprint is unchanged
keeps its results (so adding one method does not re-score the others); results of methods no
longer in params are removed. `results/metrics/<dataset>/<method>.json` holds one readable row a
method for `dvc metrics show`: mIoU and mBIoU on the region split, mVC and TC on the temporal
one, FPS. TC (replication.metrics.tc) is computed for all methods being scored in one pass over
the temporal split's frame pairs.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from replication.core.atomic import write_json
from replication.core.errors import InputError
from replication.core.records import read_record
from replication.metrics.evaluate import add_tc, evaluate_dataset
from replication.metrics.specs import result_specs
from replication.pipeline.params import Benchmark, metric_settings
from replication.pipeline.specs import MethodSpec, methods


def score_benchmark(params: dict, bench: Benchmark, predictions: Path, out: Path,
                    metrics: Path, *, card: Path | None = None, progress: bool = True) -> dict:
    """Score the methods of `bench` (see the module docstring); returns counts."""
    from replication.core.errors import Unavailable
    from replication.data.registry import get_dataset

    predictions, out, metrics = Path(predictions), Path(out), Path(metrics)
    settings = metric_settings(params)
    rows = methods(params, bench.name)
    try:
        dataset = get_dataset(bench.name, bench.root)
    except Unavailable as exc:  # the benchmark is not here: every row says why
        dataset, missing = None, {"status": "not run", "reason": str(exc), "fix": exc.fix}
    card_hash = hashlib.sha256(Path(card).read_bytes()).hexdigest() if card else None
    counts = {"scored": 0, "kept": 0, "not_run": 0}
    todo = {}
    for name, spec in rows.items():
        folder = predictions / name
        what = identity(folder, spec)
        fingerprint = _fingerprint(folder, {"settings": _jsonable(asdict(settings)),
                                            "card": card_hash, "method": what,
                                            "splits": bench.eval})
        path = out / f"{name}.json"
        if path.is_file() and json.loads(path.read_text()).get("fingerprint") == fingerprint:
            counts["kept"] += 1
            continue
        if dataset is None:
            result = {"pred": str(folder), "dataset": bench.name, **missing}
        else:
            result = evaluate_dataset(folder, dataset, list(bench.eval), settings,
                                      progress=progress)
        result.update(method=what, record=read_record(folder), fingerprint=fingerprint,
                      roles={"region": bench.region, "temporal": bench.temporal})
        todo[name] = result
    if dataset is not None and bench.temporal in bench.eval:
        add_tc(todo, {n: predictions / n for n in todo}, dataset, bench.temporal, settings,
               progress=progress)
    for name, result in todo.items():
        write_json(out / f"{name}.json", result)
        write_json(metrics / f"{name}.json", headline_row(result))
        counts["not_run" if result.get("status") == "not run" else "scored"] += 1
    for folder in (out, metrics):
        for stale in folder.glob("*.json"):
            if stale.stem not in rows:
                stale.unlink()
    return counts


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
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    if Path(folder).is_dir():
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
