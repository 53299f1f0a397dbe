"""`vss fetch vspw|cityscapes --from`: the official layouts (miniatures built from CamVid) from a
folder or the official archives, checked file by file; bad copies get one clear error naming
the first bad file, and nothing is left half-made."""
import json
import shutil
import zipfile

import numpy as np
import pytest

from replication.cli import main
from replication.data.labels import write_label
from replication.data.mini import make_cityscapes, make_vspw
from replication.data.registry import get_dataset


@pytest.fixture(scope="module")
def official(tmp_path_factory, camvid_root):
    root = tmp_path_factory.mktemp("official")
    make_vspw(camvid_root, root, archive=True)
    make_cityscapes(camvid_root, root, archive=True)
    return root


def fetch(*args) -> int:
    return main(["fetch", *map(str, args)])


def test_vspw_from_its_archive_and_from_its_folder_give_one_card(tmp_path, official, capsys):
    card_a, card_b = tmp_path / "a.json", tmp_path / "b.json"
    assert fetch("vspw", "--from", official / "VSPW_480p.zip", "--dest", tmp_path / "a",
                 "--manifest", card_a) == 0
    assert fetch("vspw", "--from", official / "VSPW_480p", "--dest", tmp_path / "b", "--link",
                 "--manifest", card_b) == 0
    a, b = json.loads(card_a.read_text()), json.loads(card_b.read_text())
    assert a["content_sha256"] == b["content_sha256"]
    assert a["splits"]["val"] == {"videos": 2, "frames": 18, "labelled": 18}
    assert a["splits"]["test"]["labelled"] == 0 and a["frame_sizes"] == {"360x480": 26}
    dataset = get_dataset("vspw", tmp_path / "a")
    label = dataset.load_label(dataset.videos("val")[0].frames[0])
    assert label[label != 255].max() < 124 and (label == 255).any()  # void: VSPW's "others"
    # a re-run with no source re-checks the copy against its manifest
    assert fetch("vspw", "--dest", tmp_path / "a", "--manifest", card_a) == 0
    assert json.loads(card_a.read_text())["content_sha256"] == a["content_sha256"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cityscapes_from_the_two_official_zips(tmp_path, official):
    card = tmp_path / "card.json"
    assert fetch("cityscapes", "--from", official / "leftImg8bit_sequence_trainvaltest.zip",
                 official / "gtFine_trainvaltest.zip", "--dest", tmp_path / "cs",
                 "--manifest", card) == 0
    assert json.loads(card.read_text())["splits"]["val"] == {"videos": 2, "frames": 60,
                                                             "labelled": 2}
    video = get_dataset("cityscapes", tmp_path / "cs").videos("val")[0]
    assert len(video.frames) == 30 and [f.label is not None for f in video.frames].index(True) == 19


def broken_copy(official, tmp_path, damage) -> object:
    root = tmp_path / "VSPW_480p"
    shutil.copytree(official / "VSPW_480p", root)
    damage(root)
    return root


@pytest.mark.parametrize("damage, words", [
    (lambda r: (r / "data/1001_CamVid0016E5a/mask/00007961.png").unlink(),
     "00007961.png: mask missing for frame"),
    (lambda r: write_label(r / "data/1001_CamVid0016E5a/mask/00007963.png",
                           np.full((360, 480), 200, np.uint8)),
     "00007963.png: label values [200] are not vspw ids"),
    (lambda r: write_label(r / "data/2_CamVid0006R0/mask/00000960.png",
                           np.zeros((180, 240), np.uint8)),
     "00000960.png: mask 180x240 but frame"),
    (lambda r: (r / "data/1001_CamVid0016E5a/mask/00007965.png").write_bytes(b"garbage"),
     "00007965.png: unreadable image"),
    (lambda r: (r / "val.txt").write_text("1001_CamVid0016E5a\n9999_not_there\n"),
     "9999_not_there"),
    (lambda r: (r / "train.txt").unlink(), "no vspw layout found"),
])
def test_a_bad_vspw_copy_is_named_and_nothing_is_left(tmp_path, official, capsys, damage,
                                                      words):
    source = broken_copy(official, tmp_path, damage)
    dest = tmp_path / "data" / "vspw"
    assert fetch("vspw", "--from", source, "--dest", dest) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err, err
    assert not dest.exists() and list((tmp_path / "data").iterdir()) == []


def test_not_an_archive_and_a_dest_with_other_files_are_refused(tmp_path, official, capsys):
    (tmp_path / "notes.txt").write_text("not a dataset")
    assert fetch("vspw", "--from", tmp_path / "notes.txt", "--dest", tmp_path / "v") == 1
    assert "neither a folder nor a zip or tar archive" in capsys.readouterr().err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep")
    assert fetch("vspw", "--from", official / "VSPW_480p.zip", "--dest", mine) == 1
    assert "holds files that no `vss fetch` made" in capsys.readouterr().err
    assert (mine / "thesis.tex").read_text() == "keep"


def test_archive_members_cannot_escape_the_destination(tmp_path, official, capsys):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(official / "VSPW_480p.zip") as good, zipfile.ZipFile(evil, "w") as out:
        for info in good.infolist():
            out.writestr(info, good.read(info))
        out.writestr("../../escaped.txt", "outside")
    assert fetch("vspw", "--from", evil, "--dest", tmp_path / "v") == 0
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()
