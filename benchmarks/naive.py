"""The naive baseline: plain Whoosh with a pystempel stem filter, as a first attempt would be.

No caching, one process, default writer settings, Whoosh's own query parser (AND of the
words across title and body) and highlighter. It reads the same articles as the product (the
same segmentation), so only indexing, analysis and querying differ.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from whoosh import highlight
from whoosh import index as whoosh_index
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import MultifieldParser

os.environ.setdefault("DISABLE_TQDM", "1")

_stemmer = None


def _stem(word: str) -> str:
    global _stemmer
    if _stemmer is None:
        from importlib.resources import as_file, files

        from pystempel import Stemmer

        with as_file(files("pystempel.data.original") / "stemmer_20000.tbl.gz") as path:
            _stemmer = Stemmer.from_file(path)
    return _stemmer(word) or word


class PystempelFilter(Filter):
    """Stem every token with pystempel, no cache."""

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, tokens):
        for token in tokens:
            token.text = _stem(token.text)
            yield token


def naive_schema() -> Schema:
    analyzer = RegexTokenizer(r"\w+") | LowercaseFilter() | PystempelFilter()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
        body=TEXT(analyzer=analyzer, stored=True),
    )


def build(corpus: Path, index: Path) -> int:
    """Index the corpus the plain way; return the number of articles."""
    from indexer.corpus import CorpusError, read_corpus

    index.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index), naive_schema())
    writer = ix.writer()
    count = 0
    for _, result in read_corpus(corpus):
        if isinstance(result, CorpusError):
            continue
        for article in result:
            writer.add_document(id=article.id, title=article.title, body=article.body)
            count += 1
    writer.commit()
    return count


class NaiveSearcher:
    """Whoosh's parser, BM25F and highlighter, nothing more."""

    def __init__(self, index: Path):
        self.ix = whoosh_index.open_dir(str(index))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)

    def search(self, text: str, limit: int = 10) -> list[dict]:
        results = self.searcher.search(self.parser.parse(text), limit=limit)
        results.fragmenter = highlight.ContextFragmenter()
        results.formatter = highlight.HtmlFormatter(tagname="mark")
        return [
            {"id": hit["id"], "title": hit["title"], "snippet": hit.highlights("body")}
            for hit in results
        ]


def main() -> None:  # pragma: no cover - used by the benchmark as a subprocess
    import sys

    # Build through the importable module: run as __main__, the filter class would be pickled
    # into the index as __main__.PystempelFilter and could not be loaded by anyone else.
    from benchmarks import naive

    corpus, index = Path(sys.argv[2]), Path(sys.argv[3])
    started = time.perf_counter()
    count = naive.build(corpus, index)
    print(f"{count} {time.perf_counter() - started:.3f}")


if __name__ == "__main__":
    main()
