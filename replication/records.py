"""Stage records: a small `record.json` in every output folder a stage makes, saying what made it
(kind of method, dataset, splits, and the stage's own settings). Its presence also marks the
folder as this suite's, so a later run may replace it (see replication.atomic.staged_dir)."""
from __future__ import annotations

import json
from pathlib import Path

from replication.atomic import RECORD_FILE, write_json

KINDS = ("reference", "baseline", "refine", "classify", "external", "masks", "model",
         "classifier")


def write_record(folder: Path, kind: str, **fields) -> dict:
    """Write the record of an output folder; `fields` must be JSON values (paths as text)."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; one of {KINDS}")
    record = {"kind": kind, **{k: str(v) if isinstance(v, Path) else v
                               for k, v in fields.items()}}
    write_json(Path(folder) / RECORD_FILE, record)
    return record


def read_record(folder: Path) -> dict | None:
    """The record of an output folder, None when it has none (e.g. another project's outputs)."""
    path = Path(folder) / RECORD_FILE
    return json.loads(path.read_text()) if path.is_file() else None
