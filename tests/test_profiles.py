"""The paper's profiles as files: `vss profile apply` replaces what a profile names, and the
README's paper command itself, run on the VSPW miniature with random-weight SAM2 checkpoints at
the profile's tiny and large paths and tiny iteration counts as one extra override, makes every
row of the paper's tables and finishes the report."""
import re
import shutil

import pytest

from replication.cli import main
from replication.core import yaml_text
from tests.conftest import REPO, one_line_error
from tests.pipeline_project import dvc, project_copy, results

PROFILE_BLOCK = re.compile(r"<!-- paper profile: start -->(.*?)<!-- paper profile: end -->",
                           re.S)
EXTRA = REPO / "tests" / "ci" / "paper-tiny.yaml"


def readme_commands() -> list[str]:
    """The commands of the README's paper-profile block, as a user would type them."""
    block = PROFILE_BLOCK.search((REPO / "README.md").read_text())
    assert block, "README.md has no paper profile block"
    text = re.sub(r"\\\n\s*", " ", block.group(1))
    return [line.strip() for line in text.splitlines() if line.strip().startswith(("vss ",
                                                                                   "dvc "))]


def test_a_profile_replaces_what_it_names_whole(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", params)
    original = params.read_text()
    assert main(["profile", "apply", str(REPO / "profiles" / "paper-vspw.yaml"), "--set",
                 "benchmarks.vspw.source=/data/VSPW_480p", "--params", str(params)]) == 0
    applied = yaml_text.parse(params.read_text())
    assert list(applied["baselines"]) == ["segformer-b1"]  # fastscnn is gone, not merged
    assert applied["datasets"] == ["vspw"]
    assert applied["benchmarks"]["vspw"]["source"] == "/data/VSPW_480p"
    assert list(applied["benchmarks"]) == ["camvid", "vspw", "cityscapes"]  # a dotted path
    assert applied["classify"]["sam2_features"] == ["sam2-tiny", "sam2-large"]
    assert applied["classify"]["train"] == yaml_text.parse(original)["classify"]["train"]
    assert "# Knobs of the pipeline" in params.read_text()  # its comments stay
    assert (tmp_path / "params.yaml.bak").read_text() == original
    err = one_line_error(capsys, ["profile", "apply", "--set", "datasets.vspw=1", "--params",
                                  params])
    assert "datasets is ['vspw'], not a section" in err
    err = one_line_error(capsys, ["profile", "apply", "--set", "refine.sources=[sam2-huge]",
                                  "--params", params])
    assert "refine.sources: ['sam2-huge'] not found under `masks:`" in err
    assert yaml_text.parse(params.read_text()) == applied  # a refused profile writes nothing


@pytest.mark.parametrize("name", ["paper-vspw", "paper-cityscapes"])
def test_the_paper_profiles_make_valid_params(tmp_path, name):
    params = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", params)
    assert main(["profile", "apply", str(REPO / "profiles" / f"{name}.yaml"), "--params",
                 str(params)]) == 0
    applied = yaml_text.parse(params.read_text())
    assert applied["sam2"]["sam2-large"]["config"] == "configs/sam2.1/sam2.1_hiera_l.yaml"
    assert applied["refine"]["sources"] == ["sam2-tiny", "sam2-large"]


def test_the_readmes_paper_command_makes_every_row_of_the_papers_tables(tmp_path, camvid_root):
    pytest.importorskip("sam2")
    from replication.data.mini import make_vspw
    from replication.masks.sam2.checkpoint import write_random_checkpoint

    make_vspw(camvid_root, tmp_path / "official", archive=True)
    project = project_copy(tmp_path / "project")
    for size in ("tiny", "large"):  # random weights; at the large path, tiny's architecture
        write_random_checkpoint("configs/sam2.1/sam2.1_hiera_t.yaml",  # (tests/ci/paper-tiny)
                                project / "checkpoints" / f"sam2.1_hiera_{size}.pt")
    commands = readme_commands()
    assert commands[0].startswith("vss profile apply profiles/paper-vspw.yaml")
    assert commands[-1] == "dvc repro"
    source = str(tmp_path / "official" / "VSPW_480p.zip")
    apply = commands[0].replace("/path/to/VSPW_480p", source).split()
    apply.insert(apply.index("profiles/paper-vspw.yaml") + 1, str(EXTRA))
    assert main([*apply[1:], "--params", str(project / "params.yaml")]) == 0
    for command in commands[1:]:
        dvc(project, *command.split()[1:], check=True, timeout=2400)

    rows = results(project, "vspw")
    paper = {"segformer-b1", "segformer-b1+refine-sam2-tiny", "segformer-b1+refine-sam2-large",
             "segformer-b1+refine-sam2-large-vote-frame",
             *(f"classify-{s}-{f}" for s in ("sam2-tiny", "sam2-large")
               for f in ("segformer-b1", "sam2-tiny", "sam2-large"))}
    assert paper <= set(rows)
    not_run = {n: r.get("reason") for n, r in rows.items() if r.get("status") == "not run"}
    assert not_run == {}
    refiner = (project / "reports" / "tables" / "refiner.md").read_text()
    assert "| + refine | sam2-large |" in refiner and "not run" not in refiner
    assert (project / "reports" / "figures" / "vspw_qualitative.png").is_file()
    assert list((project / "reports" / "videos").glob("vspw_*.gif"))
