import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def camvid_source() -> Path | None:
    """The CamVid copy tests read: $VSS_CAMVID_MIRROR, ../shared/data/camvid, or data/camvid."""
    for candidate in (os.environ.get("VSS_CAMVID_MIRROR"), REPO.parent / "shared/data/camvid",
                      REPO / "data/camvid"):
        if candidate and (Path(candidate) / "SHA256SUMS").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def camvid_root() -> Path:
    root = camvid_source()
    if root is None:
        pytest.skip("CamVid not found: set VSS_CAMVID_MIRROR or run `vss fetch camvid`")
    return root


@pytest.fixture(scope="session")
def camvid_small(tmp_path_factory, camvid_root):
    """A CamVid root with a few frames per split, in the real layout (the CI profile's)."""
    from replication.experiments.ci_profile import make_subset

    return make_subset(camvid_root, tmp_path_factory.mktemp("camvid_small"))


SAM2_CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"


@pytest.fixture(scope="session")
def random_checkpoint(tmp_path_factory):
    """A randomly initialised SAM2.1 hiera-tiny checkpoint (no weights can be downloaded here):
    built from the sam2 package's own config; its masks mean nothing, the code path is tested."""
    pytest.importorskip("sam2")
    from replication.masks.sam2.checkpoint import write_random_checkpoint

    path = tmp_path_factory.mktemp("sam2") / "random_sam2.1_hiera_t.pt"
    return write_random_checkpoint(SAM2_CONFIG, path)


def one_line_error(capsys, argv: list) -> str:
    """Run `vss argv`: it must fail with one error line (after any progress bar), no
    traceback; returns that line."""
    import re

    from replication.cli import main

    assert main([str(a) for a in argv]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.replace("\r", "\n").split("\n")  # less progress bars
             if line and not re.search(r"\d+/\d+ \[", line)]
    assert len(lines) == 1 and lines[0].startswith("vss ") and "Traceback" not in err, err
    return lines[0]
