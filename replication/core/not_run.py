"""Outputs of work that could not run (e.g. SAM2 without a checkpoint).

Such a stage still writes its output folder, holding only `NOT_RUN.json` with the reason and how
to fix it; the stages after it pass the marker on, and evaluation turns it into a results row
marked "not run". So the pipeline completes and the missing rows say why they are missing.
"""
from __future__ import annotations

import json
from pathlib import Path

from replication.core.atomic import NOT_RUN_FILE, staged_dir, write_json, write_output_json
from replication.core.errors import Unavailable


def mark_not_run(folder: Path, reason: str, fix: str) -> dict:
    """Replace `folder` (an earlier output of ours, or nothing) by one that only says why its
    content could not be made; a folder holding a user's files is refused (OutputError)."""
    record = {"status": "not run", "reason": reason, "fix": fix}
    with staged_dir(folder) as staging:
        write_json(staging / NOT_RUN_FILE, record)
    return record


def require_ran(*folders: Path | None) -> None:
    """Raise Unavailable (with its reason and fix) when an input folder holds a not-run
    record: the stage then passes it on."""
    record = not_run(*[f for f in folders if f is not None])
    if record:
        raise Unavailable(record["reason"], record["fix"])


def record_not_run(exc: Unavailable, *, folder: Path | None = None,
                   records: tuple[Path, ...] = (), curve: tuple[Path, list[str]] | None = None,
                   **about) -> dict:
    """The outputs of a stage whose input is unavailable: its output folder marked not run,
    its JSON records (statistics, data card) saying so, its training curve empty (a header)."""
    from replication.core.atomic import write_csv

    record = {"status": "not run", "reason": str(exc), "fix": exc.fix}
    if folder is not None:
        mark_not_run(folder, record["reason"], record["fix"])
    for path in records:
        write_output_json(path, {**about, **record}, "vss")
    if curve is not None:
        write_csv(curve[0], [], curve[1])
    return record


def not_run(*folders: Path) -> dict | None:
    """The not-run record of the first of `folders` (a stage's inputs) that holds one, or None
    when they all ran."""
    for folder in folders:
        path = Path(folder) / NOT_RUN_FILE
        if path.is_file():
            return json.loads(path.read_text())
    return None
