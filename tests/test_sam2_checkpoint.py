"""Obtaining a SAM2 checkpoint (local file or download, verified and recorded), and the "not run"
chain when there is none: masks -> refine -> evaluate complete with rows that say why."""
import json

import pytest

pytest.importorskip("sam2")

from replication.cli import main  # noqa: E402
from replication.core.hashing import sha256_file  # noqa: E402
from replication.masks.sam2.checkpoint import obtain_checkpoint  # noqa: E402
from tests.conftest import SAM2_CONFIG  # noqa: E402

UNREACHABLE = "http://127.0.0.1:9/sam2.1_hiera_tiny.pt"  # the discard port: refused at once


def test_local_checkpoint_is_verified_and_recorded(random_checkpoint):
    record = obtain_checkpoint(random_checkpoint, UNREACHABLE, SAM2_CONFIG)
    assert record["available"] and record["source"] == "local file"
    assert record["sha256"] == sha256_file(random_checkpoint)
    assert record["bytes"] == random_checkpoint.stat().st_size
    with pytest.raises(ValueError, match="differs from the pinned"):
        obtain_checkpoint(random_checkpoint, UNREACHABLE, SAM2_CONFIG, sha256="0" * 64)
    with pytest.raises(ValueError, match="does not fit SAM2 config"):
        obtain_checkpoint(random_checkpoint, UNREACHABLE, "configs/sam2.1/sam2.1_hiera_s.yaml")


def test_download_lands_whole_and_is_verified(tmp_path, random_checkpoint):
    dest = tmp_path / "checkpoints" / "sam2.1_hiera_tiny.pt"
    record = obtain_checkpoint(dest, random_checkpoint.as_uri(), SAM2_CONFIG)
    assert record["available"] and record["source"] == random_checkpoint.as_uri()
    assert record["sha256"] == sha256_file(random_checkpoint)
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temporary left behind


def test_no_checkpoint_is_recorded_with_reason_and_fix(tmp_path, capsys):
    dest = tmp_path / "sam2.1_hiera_tiny.pt"
    record_path = tmp_path / "record.json"
    assert main(["sam2-checkpoint", "--dest", str(dest), "--url", UNREACHABLE, "--config",
                 SAM2_CONFIG, "--record", str(record_path), "--timeout", "5"]) == 0
    record = json.loads(record_path.read_text())
    assert record["available"] is False and UNREACHABLE in record["reason"]
    assert str(dest) in record["fix"] and "params.yaml" in record["fix"]
    assert not dest.exists() and "to fix:" in capsys.readouterr().out


def test_pipeline_without_checkpoint_completes_with_not_run_rows(tmp_path, camvid_small):
    root = ["--dataset", "camvid", "--root", str(camvid_small), "--splits", "test"]
    masks, pred, refined = tmp_path / "masks", tmp_path / "pred", tmp_path / "refined"
    assert main(["masks", *root, "--source", "sam2", "--out", str(masks), "--sam2-checkpoint",
                 str(tmp_path / "missing.pt"), "--record-not-run",
                 "--stats", str(tmp_path / "stats.json")]) == 0
    assert [p.name for p in masks.iterdir()] == ["NOT_RUN.json"]
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["status"] == "not run" and "missing.pt" in stats["reason"]
    assert main(["degrade", *root, "--out", str(pred)]) == 0
    refine = ["refine", *root, "--pred", str(pred), "--masks", str(masks), "--out", str(refined)]
    assert main(refine) == 1  # by hand: the reason, as an error
    assert main([*refine, "--record-not-run"]) == 0  # in the pipeline: passed on
    assert [p.name for p in refined.iterdir()] == ["NOT_RUN.json"]
    out, headline = tmp_path / "refined.json", tmp_path / "headline.json"
    assert main(["evaluate", *root, "--pred", str(refined), "--out", str(out),
                 "--metrics", str(headline)]) == 0
    result = json.loads(out.read_text())
    assert result["status"] == "not run" and "missing.pt: SAM2 checkpoint not found" in \
        result["reason"] and result["fix"]
    assert json.loads(headline.read_text()) == {}  # `dvc metrics show`: an empty row
