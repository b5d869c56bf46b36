"""Index the corpus into a SolrCloud: a new collection per rebuild, switched in by an alias.

``rebuild`` uploads the project's configset (``search/configset``), creates a collection
``<alias>_<UTC time>`` with N shards × M replicas, feeds it the articles of the project's own
splitter in batches, commits, checks the count, and only then points the alias at it (Solr
switches an alias atomically: searches see the old collection or the new one, never a mix or
nothing). The collections the alias pointed at before are deleted afterwards.

``update`` sends only what changed: it reads the ids and fingerprints of the current
collection, adds or replaces the articles whose fingerprint differs, deletes the ones no longer
in the corpus, and commits once.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from indexer.corpus import Article, CorpusError, corpus_files, read_corpus, read_file, source_name
from indexer.sources import label_files, read_sources
from search.analysis import repair_display
from search.schema import year_of
from search.solr import (
    CONFIGSET_DIR,
    DEFAULT_COLLECTION,
    SolrClient,
    SolrRequestError,
    node_urls,
)

BATCH = 500  # articles per update request
FEEDERS = 3  # update requests in flight
COMMIT_TIMEOUT_S = 600.0

OnFile = Callable[[str, str | None], None]


@dataclass
class SolrReport:
    collection: str
    articles: int
    files: int
    seconds: float
    skipped: list[str] = field(default_factory=list)
    changed: int = 0
    deleted: int = 0
    update: bool = False  # an update: the summary says what it sent

    def summary(self) -> str:
        text = (
            f"Indexed {self.articles} articles from {self.files} files into Solr collection "
            f"{self.collection} in {self.seconds:.1f} s"
        )
        if self.update:
            text += f" ({self.changed} added or changed, {self.deleted} deleted)"
        if self.skipped:
            text += f"; {len(self.skipped)} files skipped"
        return text


def configset_zip(conf: Path = CONFIGSET_DIR) -> bytes:
    """The configset as the Configsets API takes it: a zip of the conf folder's files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(conf.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                archive.write(path, path.name)
    return out.getvalue()


def upload_configset(client: SolrClient, alias: str) -> str:
    """Upload the project's configset unless the cluster has it; return its name.

    The name carries a hash of the files: a collection keeps the configset it was created
    with, and a changed schema takes effect with the next rebuild, never under a running
    collection."""
    data = configset_zip()
    name = f"{alias}-{hashlib.sha1(data).hexdigest()[:12]}"
    known = client.request("admin/configs", {"action": "LIST", "wt": "json"}).get("configSets")
    if name not in (known or []):
        client.request(
            "admin/configs",
            {"action": "UPLOAD", "name": name, "wt": "json"},
            method="POST",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            timeout=120,
        )
    return name


def document_fingerprint(doc: dict) -> str:
    """What an update compares: a hash of every field the collection holds for an article."""
    data = json.dumps({k: v for k, v in doc.items() if k != "fingerprint"}, sort_keys=True)
    return hashlib.sha1(data.encode("utf-8")).hexdigest()


def _read_in_parallel(corpus: Path, procs: int):
    """The corpus's files with their articles (or errors), split by ``procs`` processes."""
    paths = corpus_files(corpus)
    if procs <= 1 or len(paths) < 4:
        yield from read_corpus(corpus)
        return
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        yield from pool.starmap(read_file, [(p, corpus) for p in paths], chunksize=8)


def solr_documents(corpus: Path, on_file: OnFile | None = None,
                   skipped: list[str] | None = None,
                   procs: int = 1) -> tuple[list[dict], int]:  # fmt: skip
    """Every article of the corpus as a Solr document (the project's splitter), and the
    number of files read; unreadable files are named in ``skipped``."""
    per_file: dict[str, list[Article]] = {}
    files: dict[str, dict] = {}
    for path, result in _read_in_parallel(corpus, procs):
        name = source_name(path, corpus)
        if isinstance(result, CorpusError):
            if skipped is not None:
                skipped.append(str(result))
            if on_file:
                on_file(name, str(result))
            continue
        per_file[name] = result
        years = sorted({int(y) for a in result if (y := year_of(a.date))})
        institution = next((a.institution for a in result if a.institution), None)
        files[name] = {"institution": institution, "years": years}
        if on_file:
            on_file(name, None)
    entries, _ = read_sources(corpus)
    label_files(files, entries)
    docs = []
    for name, articles in per_file.items():
        meta = files[name]
        for article in articles:
            doc = {
                "id": article.id,
                "title": repair_display(article.title),
                "body": repair_display(article.body),
                "source": article.source,
                "source_label": meta["label"],
                "institution": article.institution or "",
            }
            if doc["title"] != article.title:
                doc["title_source"] = article.title
            if doc["body"] != article.body:
                doc["body_source"] = article.body
            if meta.get("url"):
                doc["source_url"] = meta["url"]
            if article.date:
                doc["date"] = article.date
            if year_of(article.date):
                doc["year"] = year_of(article.date)
            doc["fingerprint"] = document_fingerprint(doc)
            docs.append(doc)
    return docs, len(per_file)


def _batches(docs: list[dict], size: int = BATCH) -> Iterator[list[dict]]:
    for start in range(0, len(docs), size):
        yield docs[start : start + size]


def feed(client: SolrClient, collection: str, docs: list[dict]) -> None:
    """Send the documents in batches, FEEDERS requests at a time (each node analyses while
    the next batch travels); the first failure stops the feed and is raised."""

    def send(batch: list[dict]) -> None:
        client.request(f"{collection}/update", {"wt": "json"}, method="POST",
                       json_body=batch, timeout=COMMIT_TIMEOUT_S)  # fmt: skip

    with ThreadPoolExecutor(FEEDERS) as pool:
        pending = []
        for batch in _batches(docs):
            pending.append(pool.submit(send, batch))
            if len(pending) >= 2 * FEEDERS:  # bounded: batches are not all queued at once
                pending.pop(0).result()
        for future in pending:
            future.result()


def commit(client: SolrClient, collection: str) -> None:
    client.request(f"{collection}/update", {"commit": "true", "waitSearcher": "true",
                   "wt": "json"}, method="POST", json_body=[],
                   timeout=COMMIT_TIMEOUT_S)  # fmt: skip


def count(client: SolrClient, collection: str) -> int:
    body = client.request(f"{collection}/select", {"q": "*:*", "rows": "0", "wt": "json"})
    return int(body["response"]["numFound"])


def aliases(client: SolrClient) -> dict[str, str]:
    body = client.request("admin/collections", {"action": "LISTALIASES", "wt": "json"})
    return body.get("aliases") or {}


def collections(client: SolrClient) -> list[str]:
    body = client.request("admin/collections", {"action": "LIST", "wt": "json"})
    return body.get("collections") or []


def rebuild(
    corpus: Path,
    solr_url: str,
    alias: str = DEFAULT_COLLECTION,
    shards: int = 1,
    replicas: int = 2,
    on_file: OnFile | None = None,
    procs: int = 1,
) -> SolrReport:
    """Index the whole corpus into a new collection and switch the alias to it (the
    corpus split by ``procs`` processes)."""
    started = time.perf_counter()
    skipped: list[str] = []
    docs, files = solr_documents(corpus, on_file, skipped, procs)
    name = replace_collection(SolrClient(node_urls(solr_url)), docs, alias, shards, replicas)
    return SolrReport(name, len(docs), files, time.perf_counter() - started, skipped)


def replace_collection(client: SolrClient, docs: list[dict], alias: str, shards: int = 1,
                       replicas: int = 2) -> str:  # fmt: skip
    """Feed the documents into a new collection, then point the alias at it and delete the
    alias's earlier collections; return the new collection's name. A failure leaves the
    alias where it was."""
    configset = upload_configset(client, alias)
    name = f"{alias}_{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    client.request(
        "admin/collections",
        {
            "action": "CREATE", "name": name, "numShards": str(shards),
            "replicationFactor": str(replicas), "collection.configName": configset,
            "waitForFinalState": "true", "wt": "json",
        },  # fmt: skip
        timeout=300,
    )
    try:
        feed(client, name, docs)
        commit(client, name)
        found = count(client, name)
        if found != len(docs):
            raise SolrRequestError(f"collection {name} holds {found} articles, not {len(docs)}")
    except BaseException:
        _delete(client, name)  # the alias still points at the last good collection
        raise
    client.request("admin/collections", {"action": "CREATEALIAS", "name": alias,
                   "collections": name, "wt": "json"}, timeout=120)  # fmt: skip
    for old in collections(client):
        if old != name and old.startswith(f"{alias}_"):  # the alias's earlier collections
            _delete(client, old)
    return name


def _delete(client: SolrClient, name: str) -> None:
    try:
        client.request("admin/collections", {"action": "DELETE", "name": name, "wt": "json"},
                       timeout=120)  # fmt: skip
    except SolrRequestError:
        pass  # already gone


def indexed_fingerprints(client: SolrClient, collection: str) -> dict[str, str]:
    """id -> fingerprint of every article in the collection (cursor paging, sorted by id)."""
    found: dict[str, str] = {}
    cursor = "*"
    while True:
        body = client.request(f"{collection}/select", {
            "q": "*:*", "fl": "id,fingerprint", "sort": "id asc", "rows": "5000",
            "cursorMark": cursor, "wt": "json",
        }, timeout=120)  # fmt: skip
        for doc in body["response"]["docs"]:
            found[doc["id"]] = doc.get("fingerprint") or ""
        following = body.get("nextCursorMark")
        if not following or following == cursor:
            return found
        cursor = following


def update(corpus: Path, solr_url: str, alias: str = DEFAULT_COLLECTION,
           on_file: OnFile | None = None, procs: int = 1) -> SolrReport:  # fmt: skip
    """Send only the articles added or changed since the collection was fed; delete the
    ones gone from the corpus."""
    started = time.perf_counter()
    client = SolrClient(node_urls(solr_url))
    name = aliases(client).get(alias) or alias
    skipped: list[str] = []
    docs, files = solr_documents(corpus, on_file, skipped, procs)
    known = indexed_fingerprints(client, name)
    changed = [d for d in docs if known.get(d["id"]) != d["fingerprint"]]
    gone = sorted(set(known) - {d["id"] for d in docs})
    feed(client, name, changed)
    for batch in _batches(gone, 1000):
        client.request(f"{name}/update", {"wt": "json"}, method="POST",
                       json_body={"delete": batch}, timeout=COMMIT_TIMEOUT_S)  # fmt: skip
    commit(client, name)
    return SolrReport(name, len(docs), files, time.perf_counter() - started, skipped,
                      changed=len(changed), deleted=len(gone), update=True)  # fmt: skip
