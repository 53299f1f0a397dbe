"""SAM2 checkpoints: take a local file or download Meta's official one, verify it, record it.

The record (a small JSON, what the pipeline's masks stages depend on) says either which file is
used (path, bytes, sha256, where it came from) or why there is none and how to supply one. A
checkpoint is verified by loading it strictly into the model of its config (and against a pinned
sha256 when one is given: Meta publishes no hashes, so pin the one you first downloaded). A
download goes to a temporary file beside the destination, is checked against the server's
Content-Length, and only then takes the destination's name.
"""
from __future__ import annotations

import urllib.request
from pathlib import Path

from replication.atomic import atomic_path
from replication.data.fetch import CHUNK, sha256_file


def how_to_supply(dest: Path, url: str) -> str:
    return (f"download {url} (or the SAM2.1 checkpoint of this model size) to {dest}, or set "
            "`checkpoint` of this model under `sam2:` in params.yaml to a local copy; then run "
            "`dvc repro` again")


def obtain_checkpoint(dest: Path, url: str, config: str, *, sha256: str | None = None,
                      timeout: float = 30.0) -> dict:
    """The checkpoint record of `dest`, downloading it from `url` when it is not there.
    A checkpoint that cannot be had gives `{"available": False, "reason", "fix"}`; one that is
    there but broken (wrong model, wrong hash) raises ValueError naming the file."""
    dest = Path(dest)
    origin = "local file"
    if not dest.is_file():
        try:
            _download(url, dest, timeout)
            origin = url
        except (OSError, ValueError) as exc:  # URLError is an OSError
            return {"available": False, "checkpoint": str(dest), "config": config,
                    "reason": f"no checkpoint at {dest} and the download from {url} failed "
                              f"({exc})",
                    "fix": how_to_supply(dest, url)}
    digest = sha256_file(dest)
    if sha256 and digest != sha256:
        raise ValueError(f"{dest}: sha256 {digest} differs from the pinned {sha256}; a "
                         "different or corrupted file: delete it and run again, or update the "
                         "pinned sha256 in params.yaml")
    from replication.masks.sam2_source import load_sam2

    load_sam2(config, dest, device="cpu")  # strict load: raises ValueError on a mismatch
    return {"available": True, "checkpoint": str(dest), "config": config, "source": origin,
            "bytes": dest.stat().st_size, "sha256": digest}


def _download(url: str, dest: Path, timeout: float) -> None:
    from tqdm import tqdm

    with urllib.request.urlopen(url, timeout=timeout) as response:
        expected = response.headers.get("Content-Length")
        total = int(expected) if expected else None
        with atomic_path(dest) as tmp, open(tmp, "wb") as fh, \
                tqdm(total=total, unit="B", unit_scale=True, desc=dest.name) as bar:
            while chunk := response.read(CHUNK):
                fh.write(chunk)
                bar.update(len(chunk))
            fh.flush()
            if total is not None and fh.tell() != total:
                raise ValueError(f"incomplete download: {fh.tell()} of {total} bytes")



def write_random_checkpoint(config: str, dest: Path, seed: int = 0) -> Path:
    """A randomly initialised SAM2 of `config` saved in the official checkpoint layout. For tests
    and the CI regression profile only (its rows are labelled random-weight): it exercises the
    code and costs the compute of SAM2, and never stands in for SAM2's weights."""
    import torch
    from hydra import compose
    from hydra.utils import instantiate

    import sam2  # noqa: F401  (initialises hydra on the package's configs)

    torch.manual_seed(seed)
    model = instantiate(compose(config_name=config).model, _recursive_=True)
    with atomic_path(dest) as tmp:
        torch.save({"model": model.state_dict()}, tmp)
    return Path(dest)
