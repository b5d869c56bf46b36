"""Whether two builds hold the same index: every term with its statistics and postings
(docnums, weights, positions) and every stored record, read back through Whoosh, and our own
files (posting arrays, texts, words, columns, stemmer table) byte for byte. For changes to
the indexer that must not change what it indexes, between builds cut into segments alike
(the same corpus and number of processes):

    python -m benchmarks.compare_builds var/index-old var/index-new
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from whoosh import index as whoosh_index

from search.store import INDEX_NAME

OWN_FILES = (".postings", ".texts")
OWN_NAMES = ("words.txt", "columns.npz", "stemmer-table.bin")


def digest(build: Path) -> tuple[str, int, list[tuple[str, str]]]:
    """(hash of the index's terms, postings and stored records, postings read, our files'
    hashes by kind)."""
    ix = whoosh_index.open_dir(str(build), indexname=INDEX_NAME)
    found, postings = hashlib.sha1(), 0
    with ix.reader() as reader:
        for field, text in reader.all_terms():
            info = reader.term_info(field, text)
            stats = (field, text, info.doc_frequency(), info.weight(), info.min_length(),
                     info.max_length(), info.max_weight(), info.min_id(),
                     info.max_id())  # fmt: skip
            found.update(repr(stats).encode())
            matcher = reader.postings(field, text)
            while matcher.is_active():
                found.update(repr((matcher.id(), matcher.weight(), matcher.value())).encode())
                matcher.next()
                postings += 1
        for docnum in range(reader.doc_count_all()):
            found.update(repr(sorted(reader.stored_fields(docnum).items())).encode())
    files = sorted(
        (path.suffix or path.name, hashlib.sha1(path.read_bytes()).hexdigest())
        for path in build.iterdir()
        if path.suffix in OWN_FILES or path.name in OWN_NAMES
    )
    return found.hexdigest(), postings, files


def main(argv: list[str]) -> int:
    first, second = (Path(arg).resolve() for arg in argv)
    a, b = digest(first), digest(second)
    print(f"{first}: {a[1]} postings, {len(a[2])} files of our own")
    print(f"{second}: {b[1]} postings, {len(b[2])} files of our own")
    print("same content" if a == b else "DIFFERENT content")
    return 0 if a == b else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
