"""SAM2 checkpoints: take a local file or download Meta's official one, verify it, record it.

The record (a small JSON, what the pipeline's masks stages depend on) says either which file is
used (path, bytes, sha256, where it came from, whether that hash was pinned) or why there is
none and how to supply one. A checkpoint is verified by reading it without executing anything
and loading it strictly into the model of its config (and against a pinned sha256 when one is
given: Meta publishes no hashes, so none ships with the suite; pin the one you first
downloaded). A download goes to a temporary file beside the destination, is checked (length,
hash, strict load) and only then takes the destination's name; a bad download is deleted and
recorded as not run, while a bad local file (yours) is kept and named in an error.
"""
from __future__ import annotations

from pathlib import Path

from replication.core.atomic import atomic_path
from replication.core.errors import InputError
from replication.core.hashing import download, sha256_file
from replication.masks.sam2.loading import how_to_supply

UNPINNED = ("unpinned: no sha256 is known for this file (Meta publishes none); pin the sha256 of "
            "this record under `sam2:` in params.yaml to refuse any other file")


def obtain_checkpoint(dest: Path, url: str, config: str, *, sha256: str | None = None,
                      timeout: float = 30.0) -> dict:
    """The checkpoint record of `dest`, downloading it from `url` when it is not there.
    A checkpoint that cannot be had (no file, no network, a bad download) gives
    `{"available": False, "reason", "fix"}`; a local file that is broken (not a checkpoint,
    wrong model, wrong hash) raises ValueError naming it."""
    dest = Path(dest)
    if dest.is_file():
        return {**_verified(dest, config, sha256), "source": "local file"}
    try:
        with atomic_path(dest) as tmp:
            download(url, tmp, timeout=timeout, progress=True)
            record = _verified(tmp, config, sha256)
    except (OSError, ValueError) as exc:  # URLError is an OSError; the temporary is gone
        return {"available": False, "checkpoint": str(dest), "config": config,
                "reason": f"no checkpoint at {dest}, and the download from {url} failed or was "
                          f"not a valid checkpoint ({exc})",
                "fix": how_to_supply(dest, url)}
    return {**record, "checkpoint": str(dest), "source": url}


def _verified(path: Path, config: str, sha256: str | None) -> dict:
    """The record of a checkpoint file that passes the hash (when pinned) and a strict load."""
    digest = sha256_file(path)
    if sha256 and digest != sha256:
        raise InputError(f"{path}: sha256 {digest} differs from the pinned {sha256}; a "
                         "different or corrupted file: replace it, or update the pinned sha256 "
                         "in params.yaml")
    from replication.masks.sam2.loading import load_sam2

    load_sam2(config, path, device="cpu")  # strict load: raises ValueError on a mismatch
    return {"available": True, "checkpoint": str(path), "config": config,
            "bytes": path.stat().st_size, "sha256": digest,
            "pinned": "sha256 pinned in params.yaml" if sha256 else UNPINNED}


def write_random_checkpoint(config: str, dest: Path, seed: int = 0) -> Path:
    """A randomly initialised SAM2 of `config` saved in the official checkpoint layout. For tests
    and the CI regression profile only (its rows are labelled random-weight): it exercises the
    code and costs the compute of SAM2, and never stands in for SAM2's weights."""
    import sam2  # noqa: F401  (initialises hydra on the package's configs)
    import torch
    from hydra import compose
    from hydra.utils import instantiate

    torch.manual_seed(seed)
    model = instantiate(compose(config_name=config).model, _recursive_=True)
    with atomic_path(dest) as tmp:
        torch.save({"model": model.state_dict()}, tmp)
    return Path(dest)
