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
