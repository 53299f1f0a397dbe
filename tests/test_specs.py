"""The method specs (replication.pipeline.specs) and the stages of dvc.yaml agree: every spec's
prediction folder is an output of the stage it names, and every prediction folder a stage makes
is a spec; for the default params and for the VSPW miniature's. The README's headline block is
the report's headline table."""
import shutil
from pathlib import Path

import yaml
from dvc.repo import Repo

from replication.pipeline.specs import methods
from replication.report.build import readme_block
from tests.conftest import REPO


def prediction_outputs(project: Path) -> dict[str, str]:
    """Each `predictions/<dataset>/<name>` output of the resolved pipeline -> its stage."""
    with Repo(str(project)) as repo:
        return {str(out.def_path): stage.name for stage in repo.index.stages
                for out in stage.outs if str(out.def_path).startswith("predictions/")}


def expected(params: dict) -> dict[str, str]:
    return {f"predictions/{dataset}/{spec.name}": spec.stage for dataset in params["datasets"]
            for spec in methods(params, dataset).values()}


def test_specs_and_stages_agree_for_the_default_params():
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    assert prediction_outputs(REPO) == expected(params)


def test_specs_and_stages_agree_for_the_vspw_miniature_params(tmp_path):
    from tests.test_pipeline_vspw_mini import mini_params

    params = mini_params(tmp_path / "VSPW_480p.zip", tmp_path / "sam2.pt")
    params["external"] = {"cffm": {"dataset": "vspw", "src": str(tmp_path / "cffm")}}
    (tmp_path / "cffm").mkdir()
    Repo.init(str(tmp_path), no_scm=True).close()
    shutil.copy(REPO / "dvc.yaml", tmp_path / "dvc.yaml")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    outputs = prediction_outputs(tmp_path)
    assert outputs == expected(params)
    assert outputs["predictions/vspw/fastscnn+refine-oracle-vote-frame"] == (
        "refine-vote@vspw-fastscnn-oracle-frame")
    assert outputs["predictions/vspw/cffm"] == "import@cffm"


def test_the_readmes_headline_block_is_the_reports_headline_table():
    assert readme_block(REPO / "README.md") == (REPO / "reports" / "headline.md").read_text(), (
        "README.md's headline table differs from reports/headline.md: run `vss readme`")
