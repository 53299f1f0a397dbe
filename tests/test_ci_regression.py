"""The CI regression profile end to end (see replication/ci_profile.py): every stage in
miniature on a few CamVid frames, compared with the committed reference metrics.

Regenerate the reference after a deliberate change to a metric, the refiner or the classifier:
    vss ci-profile --camvid ../shared/data/camvid --work build/ci \
        --write-reference tests/ci/reference_metrics.json
"""
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sam2")

from replication.ci_profile import compare, run_profile  # noqa: E402

CI = Path(__file__).parent / "ci"


def test_profile_reproduces_the_reference_metrics(tmp_path, camvid_root):
    headline = run_profile(camvid_root, tmp_path)
    reference = json.loads((CI / "reference_metrics.json").read_text())
    tolerances = json.loads((CI / "tolerances.json").read_text())
    problems = compare(headline, reference, tolerances)
    assert not problems, "metric regression:\n  " + "\n  ".join(problems)
    # the report is built from the profile's results; its random-weight SAM2 row says so
    refiner = (tmp_path / "reports" / "tables" / "refiner.md").read_text()
    assert "| + refine | sam2-random |" in refiner
