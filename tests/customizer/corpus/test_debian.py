from __future__ import annotations

import io
import tarfile
from pathlib import Path

from gitrepos import git

from customizer.corpus.debian import ERROR, NO_ORIG, OK, fetch_package, make_repo, orig_tarballs
from customizer.corpus.paths import debian_layout, read_json

JAVA = "package p;\npublic class Foo {\n    public int one() {\n        return 1;\n    }\n}\n"


def _tarball(path: Path, top: str, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            info.mtime = 1_600_000_000
            tar.addfile(info, io.BytesIO(data))
    return path


def _fake_source_package(folder: Path) -> Path:
    """What `apt-get source --download-only` leaves: .dsc, orig tarball(s), maybe a debian tarball."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "foo_1.0-1.dsc").write_text("Format: 3.0 (quilt)\n")
    _tarball(folder / "foo_1.0.orig.tar.gz", "foo-1.0", {"src/main/java/p/Foo.java": JAVA, "README": "hi\n"})
    _tarball(folder / "foo_1.0.orig-extra.tar.gz", "extra-1.0", {"Extra.java": "class Extra {}\n"})
    _tarball(folder / "foo_1.0-1.debian.tar.gz", "debian", {"control": "Source: foo\n"})
    return folder


def test_orig_tarballs_main_first_and_no_debian_tarball(tmp_path: Path) -> None:
    folder = _fake_source_package(tmp_path / "dl")
    assert [p.name for p in orig_tarballs(folder)] == ["foo_1.0.orig.tar.gz", "foo_1.0.orig-extra.tar.gz"]


def test_make_repo_unpacks_all_orig_tarballs_and_commits_reproducibly(tmp_path: Path) -> None:
    tarballs = orig_tarballs(_fake_source_package(tmp_path / "dl"))
    first = make_repo("foo", tarballs, tmp_path / "repos" / "foo")
    assert first.status == OK and first.version == "1.0"
    repo = tmp_path / "repos" / "foo"
    assert sorted(git(repo, "ls-files").splitlines()) == ["README", "extra/Extra.java", "src/main/java/p/Foo.java"]
    assert git(repo, "status", "--porcelain").strip() == ""
    assert first.java_files == 2 and first.files == 3
    author = git(repo, "log", "--format=%an <%ae> %ad", "--date=unix").strip()
    assert author == "TestTailor corpus <corpus@testtailor.invalid> 946684800"
    again = make_repo("foo", tarballs, tmp_path / "repos2" / "foo")
    assert again.commit == first.commit


def test_fetch_package_writes_status_and_skips_when_done(cache: Path, tmp_path: Path) -> None:
    layout = debian_layout()
    calls: list[str] = []
    source = _fake_source_package(tmp_path / "fake")

    def downloader(package: str, dest: Path) -> tuple[list[Path], str]:
        calls.append(package)
        for f in source.iterdir():
            (dest / f.name).write_bytes(f.read_bytes())
        return orig_tarballs(dest), "E: Failed to fetch foo_1.0-1.debian.tar.gz 404"  # apt failed; orig is there

    result = fetch_package("foo", layout, downloader=downloader)
    assert result.status == OK
    assert (layout.repo("foo") / "src/main/java/p/Foo.java").read_text() == JAVA
    assert read_json(layout.status_file("foo"))["status"] == OK
    assert not list(layout.src.iterdir())  # tarballs dropped after the unpack
    fetch_package("foo", layout, downloader=downloader)
    assert calls == ["foo"]


def test_fetch_package_without_orig_tarball_is_skipped_and_reported(cache: Path) -> None:
    layout = debian_layout()

    def downloader(package: str, dest: Path) -> tuple[list[Path], str]:
        (dest / "bar_2-1.dsc").write_text("x")
        return [], "E: Failed to fetch bar_2.orig.tar.xz 404 Not Found"

    result = fetch_package("bar", layout, downloader=downloader)
    assert result.status == NO_ORIG
    assert "404" in result.reason
    assert not layout.repo("bar").exists()
    assert read_json(layout.status_file("bar"))["status"] == NO_ORIG


def test_fetch_package_that_apt_cannot_fetch_at_all_is_an_error_retried_later(cache: Path) -> None:
    layout = debian_layout()
    calls: list[str] = []

    def downloader(package: str, dest: Path) -> tuple[list[Path], str]:
        calls.append(package)
        return [], "Reading package lists...\nE: You must put some 'deb-src' URIs in your sources.list"

    result = fetch_package("bar", layout, downloader=downloader)
    assert result.status == ERROR  # the machine's fault, not the package's: not recorded as final
    assert "deb-src" in result.reason and "scripts/debian_repo.sh" in result.reason
    fetch_package("bar", layout, downloader=downloader)
    assert calls == ["bar", "bar"]
