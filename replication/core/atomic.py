"""Write files and folders so that readers never see a half-written one, and never overwrite
what a user made.

A file is written to a temporary name beside it and renamed into place. An output folder is
assembled in a hidden staging sibling (`.<name>.partial-<host>-<pid>`) and swapped in whole; the
folder it replaces must be one this suite made (it holds a `record.json` or `NOT_RUN.json`) or
be empty, so a mistyped `--out` never wipes a user's files. Staging left by a process that was
killed (kill -9, power loss) is removed by the next run on the same host.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from replication.core.errors import OutputError

RECORD_FILE = "record.json"     # what made an output folder (see replication.core.records)
NOT_RUN_FILE = "NOT_RUN.json"   # a folder of work that could not run (replication.core.not_run)
_OURS = (RECORD_FILE, NOT_RUN_FILE)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it is renamed onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a fresh name, created by the writer with the usual permissions (mkstemp's are 0600)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> Path:
    """Atomically write `text`; returns `path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_csv(path: Path, rows: list[dict], fieldnames: list[str]) -> None:
    """Atomically write `rows` as CSV (the csv module's dialect: header, CRLF line ends)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=fieldnames)
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, text.getvalue())


def write_json(path: Path, data: object) -> None:
    """Atomically write `data` as indented JSON (NaN stays NaN, as Python's json writes it)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, allow_nan=True) + "\n")


def check_ours(folder: Path) -> None:
    """Raise OutputError unless `folder` is absent, empty, or an output of this suite."""
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not an output folder; choose another --out")
    entries = sorted(p.name for p in folder.iterdir())
    if entries and not any(name in entries for name in _OURS):
        raise OutputError(
            f"{folder}: holds files this suite did not make (e.g. {entries[0]}); refusing to "
            "replace it. Choose another --out, or move those files away first")


@contextmanager
def staged_dir(dest: Path, check: Callable[[Path], None] = check_ours) -> Iterator[Path]:
    """Yield an empty staging folder beside `dest`; on success it replaces `dest` whole (which
    `check` must allow first), on failure or interruption it is removed."""
    dest = Path(dest)
    check(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(dest)
    staging = dest.with_name(f".{dest.name}.partial-{_owner()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        _replace_dir(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def remove_stale_staging(dest: Path) -> list[Path]:
    """Remove the staging and swap folders of `dest` left by dead processes of this host."""
    removed = []
    host = socket.gethostname()
    for kind in ("partial", "old"):
        for path in Path(dest).parent.glob(f".{Path(dest).name}.{kind}-{host}-*"):
            pid = path.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _owner() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _replace_dir(new: Path, dest: Path) -> None:
    """Swap `new` into `dest`; the old folder is removed only after the swap."""
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{_owner()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
        os.replace(new, dest)
        shutil.rmtree(old)
    else:
        os.replace(new, dest)
