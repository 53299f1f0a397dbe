"""Stage records: a small `record.json` in every output folder a stage makes, saying what made it
(kind, dataset, splits, the stage's own settings) and, in a prediction folder, the method's
identity (`method`: kind, baseline, masklet source, vote, features), which score and the report
read instead of parsing folder names. Its presence also marks the folder as this suite's, so a
later run may replace it (see replication.core.atomic.staged_dir)."""
from __future__ import annotations

import json
from pathlib import Path

from replication.core.atomic import RECORD_FILE, write_json

PREDICTIONS = ("reference", "baseline", "refine", "classify", "external")  # method folders
KINDS = (*PREDICTIONS, "masks", "features", "model", "classifier", "report")


def write_record(folder: Path, kind: str, method: dict | None = None, **fields) -> dict:
    """Write the record of an output folder; `fields` must be JSON values (paths as text). A
    prediction folder's record also says the method's identity: `{"kind": kind, **method}`."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; one of {KINDS}")
    record = {"kind": kind, **{k: str(v) if isinstance(v, Path) else v
                               for k, v in fields.items()}}
    if kind in PREDICTIONS:
        record["method"] = {"kind": kind, **(method or {})}
    write_json(Path(folder) / RECORD_FILE, record)
    return record


def read_record(folder: Path) -> dict | None:
    """The record of an output folder, None when it has none (e.g. another project's outputs)."""
    path = Path(folder) / RECORD_FILE
    return json.loads(path.read_text()) if path.is_file() else None
