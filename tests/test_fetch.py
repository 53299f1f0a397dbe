"""`vss fetch`: from a mirror or over HTTP, verified, never leaving a half-filled folder."""
import functools
import http.server
import shutil
import threading

import pytest

from replication.core.hashing import sha256_file
from replication.data.fetch import FetchError, fetch

FILES = ["val/0016E5_07959.png", "valannot/0016E5_07959.png", "test/Seq05VD_f00000.png"]


@pytest.fixture
def mirror(tmp_path, camvid_root):
    root = tmp_path / "mirror"
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(camvid_root / rel, root / rel)
    return root, {rel: sha256_file(camvid_root / rel) for rel in FILES}


def leftovers(parent):
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


def test_fetch_from_mirror_then_noop(tmp_path, mirror):
    root, sums = mirror
    dest = tmp_path / "data" / "camvid"
    assert "fetched" in fetch(dest, sums, mirror=root, url="unused")
    assert all(sha256_file(dest / rel) == d for rel, d in sums.items())
    assert (dest / "SHA256SUMS").read_text().count("\n") == 3
    assert "present and verified" in fetch(dest, sums, mirror=None, url="http://unreachable")
    assert leftovers(dest.parent) == []


def test_corrupted_mirror_file_is_named_and_nothing_is_left(tmp_path, mirror):
    root, sums = mirror
    (root / FILES[1]).write_bytes(b"not the label")
    dest = tmp_path / "data" / "camvid"
    with pytest.raises(FetchError, match="valannot/0016E5_07959.png: checksum mismatch"):
        fetch(dest, sums, mirror=root, url="unused")
    assert not dest.exists() and leftovers(dest.parent) == []


def test_missing_mirror_file_is_named(tmp_path, mirror):
    root, sums = mirror
    (root / FILES[2]).unlink()
    with pytest.raises(FetchError, match="Seq05VD_f00000.png: missing from the mirror"):
        fetch(tmp_path / "camvid", sums, mirror=root, url="unused")


def test_damaged_copy_is_repaired_and_intact_files_kept(tmp_path, mirror):
    root, sums = mirror
    dest = tmp_path / "camvid"
    fetch(dest, sums, mirror=root, url="unused")
    (dest / FILES[0]).write_bytes(b"damaged")
    (dest / FILES[2]).unlink()
    fetch(dest, sums, mirror=root, url="unused")
    assert all(sha256_file(dest / rel) == d for rel, d in sums.items())


def test_download_over_http_verifies(tmp_path, mirror):
    root, sums = mirror
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        dest = tmp_path / "camvid"
        assert url in fetch(dest, sums, mirror=None, url=url)
        assert all(sha256_file(dest / rel) == d for rel, d in sums.items())
        sums_404 = {**sums, "test/absent.png": "0" * 64}
        with pytest.raises(FetchError, match="absent.png: download failed"):
            fetch(tmp_path / "other", sums_404, mirror=None, url=url)
        assert not (tmp_path / "other").exists()
    finally:
        server.shutdown()
