"""Hostile input and faults: each one gets a clear message or a bounded cost, and loses nothing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build import rebuild, update
from indexer.cli import main as indexer_main
from indexer.corpus import decode_file
from search import store
from search.engine import SearchEngine
from search.store import builds_dir
from tests.conftest import ROOT, SEEDS, copy_corpus, indexer_command, live_server
from web import create_app

HEADER = "Archiwum BIP MJO - Miejski Ośrodek Pomocy Społecznej\nDokument archiwalny\n\n"
POLISH = "Świąteczna zbiórka źdźbła żyta. Gęśla jaźń zażółcona."


def run_indexer(*args):
    return CliRunner().invoke(indexer_main, list(args))


# -- corpus input ------------------------------------------------------------------------


def test_symbolic_links_are_not_followed(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    secret = tmp_path / "secret.txt"
    secret.write_text(HEADER + "Tajny tytuł\n\nHasło administratora: kwiatuszek.\n")
    (corpus / "link.txt").symlink_to(secret)
    (corpus / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    result = run_indexer("rebuild", "--corpus", str(corpus), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    assert "link.txt: a symbolic link, not followed" in result.output
    assert "linked-dir: a symbolic link, not followed" in result.output
    assert SearchEngine(tmp_path / "ix").search("kwiatuszek").total == 0


@pytest.mark.parametrize(
    ("data", "encoding", "note"),
    [
        (POLISH.encode("utf-8"), "utf-8", None),
        (POLISH.encode("cp1250"), "cp1250", "read as cp1250"),
        (POLISH.encode("iso8859_2"), "iso8859_2", "read as iso8859_2"),
        ("Świąteczna zbiórka".encode("iso8859_2"), "iso8859_2", "read as iso8859_2"),
        (POLISH.encode("utf-16"), "utf-16", "read as UTF-16"),
        ((POLISH + "\n").encode() + POLISH.encode("cp1250"), "mixed", "mixes UTF-8 lines"),
        (unicodedata.normalize("NFD", POLISH).encode(), "utf-8", None),
    ],
    ids=["utf8", "cp1250", "iso", "short-iso", "utf16", "mixed", "nfd"],
)
def test_encodings_are_read_and_reported(data, encoding, note):
    decoded = decode_file(data, "x.txt")
    assert decoded.encoding == encoding
    assert decoded.text.split("\n")[0].startswith(POLISH[:11])
    assert unicodedata.is_normalized("NFC", decoded.text)
    assert (note is None and not decoded.notes) or any(note in n for n in decoded.notes)


def test_check_names_odd_files(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "header-only.txt").write_text(HEADER)
    (corpus / "old.txt").write_bytes((HEADER + "Tytuł\n\n" + POLISH + "\n").encode("cp1250"))
    result = run_indexer("check", "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    assert "empty.txt:1: no_articles" in result.output
    assert "header-only.txt:1: no_articles" in result.output
    assert "old.txt:0: encoding: read as cp1250" in result.output


def test_read_only_index_folder_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    corpus, parent = copy_corpus(tmp_path / "c"), tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        result = run_indexer("rebuild", "--corpus", str(corpus), "--index", str(parent / "ix"))
    finally:
        parent.chmod(0o700)
    assert result.exit_code != 0
    assert "cannot write the index" in result.output and "Traceback" not in result.output


def test_unwritable_index_location_is_a_clear_error(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_indexer("rebuild", "--corpus", str(corpus), "--index", str(blocker / "ix"))
    assert result.exit_code != 0
    assert "cannot write the index" in result.output and "Traceback" not in result.output


def test_huge_article_is_indexed_in_parts_and_searched_quickly(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    words = ["Krakowie", "pomoc", "rodzina", "dzieci", "seniorzy", "bezdomni", "wizyta"]
    body = " ".join(words[i % 7] for i in range(400_000))  # ~3 MB, one paragraph
    (corpus / "huge.txt").write_text(HEADER + "Ogromny artykuł\n\n" + body + "\n")
    result = run_indexer("rebuild", "--corpus", str(corpus), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    check = run_indexer("check", "--corpus", str(corpus))
    assert re.search(r"huge_article: .* indexed in 3[0-9] parts", check.output)
    engine = SearchEngine(tmp_path / "ix")
    started = time.perf_counter()
    found = engine.search("Krakowie rodzina dzieci seniorzy", per_page=50)
    assert time.perf_counter() - started < 5  # bounded (was minutes); the budget is 1 s
    assert found.total >= 30 and all(len(h.snippet) < 1000 for h in found.hits)


# -- queries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["bezdomność", "Łotwa", "Kopenhaga", "świadczenia", "Węgrzech", "jaźń"]
)
def test_nfd_queries_find_what_nfc_queries_find(engine, word):
    nfd = unicodedata.normalize("NFD", word)
    assert nfd != word or word in ("Kopenhaga", "Łotwa")  # Ł has no decomposition
    nfc_ids = [h.id for h in engine.search(word).hits]
    assert [h.id for h in engine.search(nfd).hits] == nfc_ids


def test_suggestions_are_whole_nfc_words(engine):
    result = engine.search(unicodedata.normalize("NFD", "bezdomnośćx jaźń"))
    for text in filter(None, [result.suggestion, result.query]):
        assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"' + " ".join(["roku lat"] * 7) + '"', "A phrase may hold at most 12 words."),
        (" ".join(["roku lat"] * 17), "A query may hold at most 32 words."),
    ],
)
def test_bounds_give_clear_messages(client, query, message):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == message


def test_over_budget_answers_503_with_retry_after(index_dir):
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})
    app.extensions["search_engine"].budget_s = 1e-9
    response = app.test_client().get("/api/search", query_string={"q": "bezdomność"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "timeout"


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        ({"q": "x", "page": "1_0"}, "page"),
        ({"q": "x", "page": "١٠"}, "page"),
        ({"q": "x", "page": "+5"}, "page"),
        ({"q": "x", "page": "10" * 19}, "page"),
        ({"q": "x", "page": "10001"}, "page"),
        ({"q": "x", "per_page": "²"}, "per_page"),
        ({"q": "x", "year": "2007.0"}, "year"),
    ],
)
def test_parameters_are_strict(client, args, parameter):
    response = client.get("/api/search", query_string=args)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == parameter and args[parameter] not in error["message"]


def test_security_headers_on_every_response(client):
    for path in ["/", "/?q=<script>alert(1)</script>", "/api/search?q=<script>", "/nope"]:
        response = client.get(path)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


# -- damaged index, killed builds --------------------------------------------------------


def segment_file(build: Path) -> Path:
    return max(build.glob("*.seg"), key=lambda p: p.stat().st_size)


@pytest.mark.parametrize("damage", ["zeroed", "truncated"])
def test_damaged_build_is_refused_and_the_last_good_one_serves(tmp_path, damage):
    corpus, index = copy_corpus(tmp_path / "c"), tmp_path / "ix"
    rebuild(corpus, index)
    app = create_app({"TESTING": True, "INDEX_DIR": str(index)})
    client = app.test_client()
    assert client.get("/healthz").get_json()["status"] == "ok"
    rebuild(corpus, index)  # a new build, then damaged before the server opens it
    seg = segment_file(index.resolve())
    size = seg.stat().st_size
    seg.write_bytes(b"\0" * size if damage == "zeroed" else seg.read_bytes()[: size // 2])
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and "damaged" in str(health["damaged_builds"])
    found = client.get("/api/search", query_string={"q": "bezdomność"})
    assert found.status_code == 200 and found.get_json()["total"] == 2
    fresh = create_app({"TESTING": True, "INDEX_DIR": str(index)}).test_client()
    response = fresh.get("/api/search", query_string={"q": "bezdomność"})
    assert response.status_code == 503  # a new process has no good build to fall back on
    assert fresh.get("/healthz").status_code == 503


def restore_mtime(path: Path, stat: os.stat_result) -> None:
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def rewrite_in_place(build: Path) -> Path:
    """Flip a byte of the largest segment, then put its mtime back (same inode)."""
    seg = segment_file(build)
    stat = seg.stat()
    flip_byte(seg)
    restore_mtime(seg, stat)
    return build


def copy_then_rewrite(build: Path) -> Path:
    """Copy the build as ``cp -p`` does (mtimes kept, new inodes), then flip a byte in place."""
    copy = build.parent / "copied"
    shutil.copytree(build, copy)  # copy2: mtimes kept
    rewrite_in_place(copy)
    return copy


def written_in_place(build: Path) -> Path:
    flip_byte(segment_file(build))  # a new mtime
    return build


@pytest.mark.parametrize(
    ("damage", "found_by_server"),
    [
        (written_in_place, True),  # any write moves the mtime: hashed again, refused
        (copy_then_rewrite, True),  # new inodes: every file hashed, refused
        (rewrite_in_place, False),  # the stamp lies: only a full verify reads the bytes
    ],
)
def test_stamps_skip_only_files_nothing_wrote(tmp_path, monkeypatch, damage, found_by_server):
    monkeypatch.setattr(store, "SETTLED_NS", 0)  # the test's files are milliseconds old
    monkeypatch.setattr(store, "FINE_SETTLED_NS", 0)
    corpus, index = copy_corpus(tmp_path / "c"), tmp_path / "ix"
    rebuild(corpus, index)
    build = damage(index.resolve())
    manifest = store.read_manifest(build)
    assert all("stamp" in entry for entry in manifest["checksums"].values())
    if found_by_server:
        with pytest.raises(store.IndexDamagedError, match="checksum differs"):
            store.verify(build, manifest)
    else:
        store.verify(build, manifest)
    with pytest.raises(store.IndexDamagedError, match="checksum differs"):
        store.verify(build, manifest, full=True)
    if build == index.resolve():
        result = CliRunner().invoke(indexer_main, ["verify", "--index", str(index)])
        assert result.exit_code == 1 and "damaged" in result.output


def test_a_file_that_cannot_be_read_fails_the_verify(tmp_path, monkeypatch):
    corpus, index = copy_corpus(tmp_path / "c"), tmp_path / "ix"
    rebuild(corpus, index)
    build = index.resolve()
    manifest = store.read_manifest(build)
    unreadable = segment_file(build).name
    sha1 = store._sha1

    def read(path):
        if path.name == unreadable:
            raise OSError(5, "Input/output error")
        return sha1(path)

    monkeypatch.setattr(store, "_sha1", read)  # a disk error, raised in a hashing thread
    with pytest.raises(store.IndexDamagedError, match=f"{unreadable} cannot be read"):
        store.verify(build, manifest, full=True)
    with pytest.raises(OSError, match="Input/output error"):  # no checksum left out
        store.checksums(build)


def test_fresh_files_get_no_stamp_and_an_update_keeps_only_true_stamps(tmp_path, monkeypatch):
    corpus, index = copy_corpus(tmp_path / "c"), tmp_path / "ix"
    monkeypatch.setattr(store, "FINE_SETTLED_NS", 10**12)
    monkeypatch.setattr(store, "SETTLED_NS", 10**12)
    rebuild(corpus, index)  # every file written just before: no stamps, always hashed
    build = index.resolve()
    assert not any("stamp" in e for e in store.read_manifest(build)["checksums"].values())
    result = CliRunner().invoke(indexer_main, ["verify", "--index", str(index)])
    assert result.exit_code == 0 and "all whole" in result.output

    monkeypatch.setattr(store, "SETTLED_NS", 0)
    monkeypatch.setattr(store, "FINE_SETTLED_NS", 0)
    rebuild(corpus, index)
    build = index.resolve()
    # The largest segment's shown texts: their middle byte is article text, which the update
    # reads nowhere (the middle byte of the .seg itself may fall in the term index the
    # update reads for the words file, and fail the update instead, depending on which
    # process wrote which segment).
    seg = segment_file(build).with_suffix(".texts")
    stat = seg.stat()
    flip_byte(seg)
    restore_mtime(seg, stat)
    os.utime(seg, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # written after its hash
    (corpus / "extra.txt").write_text("Nowy tytuł\n\nNowa treść artykułu o pomocy.\n")
    update(corpus, index)  # hard-links the damaged segment into the next build
    linked = index.resolve() / seg.name
    assert linked.exists() and linked.stat().st_ino == stat.st_ino
    entry = store.read_manifest(index.resolve())["checksums"][seg.name]
    assert "stamp" not in entry  # the old stamp no longer matched: hashed on every verify
    with pytest.raises(store.IndexDamagedError, match="checksum differs"):
        store.verify(index.resolve(), store.read_manifest(index.resolve()))


def big_corpus(target: Path, copies: int = 60) -> Path:
    target.mkdir(parents=True)
    for n in range(copies):
        for seed in SEEDS.glob("*.txt"):
            (target / f"{n:04d}-{seed.name}").write_bytes(seed.read_bytes())
    return target


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie (dead, waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["rebuild", "update"])
def test_kill_9_of_a_build_needs_no_manual_step(tmp_path, command):
    corpus, index = big_corpus(tmp_path / "c"), tmp_path / "ix"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INDEX_PROCS": "2"}
    args = indexer_command("rebuild", corpus, index)
    subprocess.run(args, check=True, env=env, cwd=ROOT, capture_output=True)
    good = index.resolve()
    if command == "update":
        for path in list(corpus.glob("00[0-4]*.txt")):
            path.write_text(path.read_text() + "\nNowy tytuł\n\nNowa treść artykułu o pomocy.\n")
    with live_server(index, env) as base:
        import requests

        proc = subprocess.Popen(indexer_command(command, corpus, index), env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 30
        while not list(builds_dir(index).glob("*.pending")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        workers = children_of(proc.pid)
        assert proc.poll() is None  # still building when killed
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(1.0)
        alive = [p for p in workers if running(p)]
        assert alive == []  # indexing processes died with their parent
        assert index.resolve() == good
        assert requests.get(base + "/api/search", params={"q": "bezdomność"}, timeout=10).ok
        done = subprocess.run(indexer_command(command, corpus, index), env=env, cwd=ROOT,
                              capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not list(builds_dir(index).glob("*.pending"))  # the killed build was cleaned up
        assert good.exists()  # and the good build still counts among the kept ones
        assert requests.get(base + "/api/search", params={"q": "bezdomność"}, timeout=10).ok


@pytest.mark.slow
def test_gunicorn_parse_errors_are_json(index_dir):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with live_server(index_dir, env) as base:
        port = int(base.rsplit(":", 1)[1])
        for request, status in [
            (b"GET /api/search?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            (b"GET /api/search?q=a HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
             431),
        ]:  # fmt: skip
            reply = b""
            for _ in range(5):  # a reset may overtake the answer: then ask again
                with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                    sock.sendall(request)
                    try:
                        while chunk := sock.recv(65536):
                            reply += chunk
                    except ConnectionResetError:
                        pass  # the server closes with part of the request unread
                if reply:
                    break
            head, _, body = reply.partition(b"\r\n\r\n")
            assert head.startswith(f"HTTP/1.1 {status}".encode()), head
            assert b"application/json" in head
            assert f'"status": {status}'.encode() in body
