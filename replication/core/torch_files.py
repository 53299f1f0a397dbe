"""Reading PyTorch files (checkpoints) without executing them, with errors that say what the file
is instead and how to fix it: empty, text, an HTML page (a failed download), a plain pickle,
random bytes, a truncated archive, or a file that pickles objects beyond tensors."""
from __future__ import annotations

import pickle
from pathlib import Path

from replication.core.errors import InputError, MissingInput

ZIP_HEAD = b"PK\x03\x04"  # torch.save writes a zip archive (its first local file header)
# torch.save's legacy (pre-zip) format starts by pickling its magic number
LEGACY_HEAD = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."


def load_torch(path: Path, what: str, fix: str, *, trust: bool = False,
               trust_hint: str | None = None):
    """The content of a file written by `torch.save`, loaded on the CPU with `weights_only`
    (plain tensors and Python values only) unless `trust`. Anything else raises ValueError
    naming the file, what it seems to be, and `fix`; `trust_hint` is added only for a real
    PyTorch file that holds other objects."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise MissingInput(f"{path}: {what} not found; {fix}")
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head.startswith((ZIP_HEAD, LEGACY_HEAD)):
        raise InputError(f"{path}: not a {what}: a PyTorch checkpoint is a file written by "
                         f"torch.save, this is {_looks_like(head)}; {fix}")
    try:
        return torch.load(path, map_location="cpu", weights_only=not trust)
    except pickle.UnpicklingError as exc:
        if trust_hint is None:
            raise InputError(f"{path}: a PyTorch file that holds objects beyond tensors, so not "
                             f"a {what}; {fix}") from exc
        raise InputError(f"{path}: holds objects beyond tensors ({_first_line(exc)}); "
                         f"{trust_hint}") from exc
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, IndexError) as exc:
        raise InputError(f"{path}: a damaged or truncated {what} ({_first_line(exc)}); "
                         f"{fix}") from exc


def _looks_like(head: bytes) -> str:
    if not head:
        return "an empty file"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<")):
        return "an HTML/XML page (e.g. an error page saved by a failed download)"
    if head[:1] == b"\x80":
        return "a plain Python pickle, not written by torch.save"
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data of an unknown format"
    return f"a text file (starting {sample[:40].strip()!r})"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
