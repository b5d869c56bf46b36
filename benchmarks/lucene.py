"""Lucene columns of ``make bench``: Lucene 4.10 (Debian) and current Lucene (Maven Central).

Both index the same articles (exported from the project's own splitter) and answer the same
queries with the same top 10 and one highlighted fragment per hit, each query timed as the
best of 3 after two warm-up rounds, in one JVM. Each build runs as a command of its own,
timed from outside as the project's rebuild is (and by its own timer, inside). The Java
sources are in benchmarks/lucene/ and are compiled here, at bench time.

    python -m benchmarks.lucene --corpus var/bench/corpus-20000
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import click

from benchmarks.measure import dir_mb, run_measured
from indexer.corpus import corpus_files, parse_document, read_text

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "benchmarks" / "lucene"
DEBIAN_JARS = Path("/usr/share/java")
LUCENE4_JARS = [
    f"lucene-{name}-4.10.4.jar"
    for name in ("core", "analyzers-common", "analyzers-stempel", "highlighter", "memory",
                 "queries")
]  # fmt: skip
ENGINES = ("lucene-4.10", "lucene-9.12")


def _flat(text: str) -> str:
    return " ".join(text.split())


def export_articles(corpus: Path, out: Path) -> int:
    """Write the project's articles (its own splitter) as id, title, body lines."""
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for path in corpus_files(corpus):
            for article in parse_document(read_text(path), path.name):
                handle.write(f"{article.id}\t{_flat(article.title)}\t{_flat(article.body)}\n")
                count += 1
    return count


def write_queries(logs: dict[str, list[str]], out: Path) -> None:
    with out.open("w", encoding="utf-8") as handle:
        for label, queries in logs.items():
            for q in queries:
                handle.write(f"{label}\t{_flat(q)}\n")


def available() -> str | None:
    """Why the Lucene columns cannot run here, or None when they can."""
    if not shutil.which("javac"):
        return "no JDK (javac)"
    missing = [j for j in LUCENE4_JARS if not (DEBIAN_JARS / j).exists()]
    if missing:
        return f"Debian's liblucene4.10-java is not installed ({missing[0]} missing)"
    return None


def _classpath(engine: str, work: Path) -> str:
    if engine == "lucene-4.10":
        return ":".join(str(DEBIAN_JARS / j) for j in LUCENE4_JARS)
    jars = work / "lucene9-jars"
    if not any(jars.glob("lucene-core-*.jar")):
        subprocess.run(
            ["mvn", "-q", "-f", str(SOURCES / "pom.xml"), "dependency:copy-dependencies",
             f"-DoutputDirectory={jars}"],
            check=True, timeout=600, capture_output=True,
        )  # fmt: skip
    return ":".join(str(p) for p in sorted(jars.glob("*.jar")))


def _java(engine: str, work: Path) -> list[str]:
    """The command that runs one Lucene column's program, compiled into ``work`` (once)."""
    main = {"lucene-4.10": "Lucene4Bench", "lucene-9.12": "Lucene9Bench"}[engine]
    classes = work / f"classes-{engine}"
    classpath = _classpath(engine, work)
    if not (classes / f"{main}.class").exists():
        classes.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["javac", "-nowarn", "-d", str(classes), "-cp", classpath,
             str(SOURCES / f"{main}.java"), str(SOURCES / "BenchIO.java")],
            check=True, timeout=300,
        )  # fmt: skip
    return ["java", "-Xms1g", "-Xmx4g", "-cp", f"{classpath}:{classes}", main]


def prepare(corpus: Path, logs: dict[str, list[str]], work: Path,
            engines: tuple[str, ...] = ENGINES) -> None:  # fmt: skip
    """The articles and queries the Lucene columns read, and their programs compiled."""
    work.mkdir(parents=True, exist_ok=True)
    for engine in engines:
        for stale in (work / f"classes-{engine}").glob("*.class"):
            stale.unlink()  # compiled again from this checkout's sources
    export_articles(corpus, work / "articles.tsv")
    write_queries(logs, work / "queries.tsv")
    for engine in engines:
        _java(engine, work)


def build(engine: str, work: Path) -> dict:
    """One Lucene column's build as a whole command, measured as the project's rebuild is
    (``run_measured``: wall, CPU, peak RSS), with ``own_timer_s``, its own timer's figure
    (the JVM's start and the analyzer's loading excluded), and the index size. The index
    stays for ``query``."""
    index = work / f"index-{engine}"
    shutil.rmtree(index, ignore_errors=True)
    measured = run_measured([*_java(engine, work), "build", str(work / "articles.tsv"), str(index)])
    found = _last_json(measured.pop("stdout"))
    return {**measured, "own_timer_s": found["build_s"], "articles": found["articles"],
            "index_mb": dir_mb(index)}  # fmt: skip


def query(engine: str, work: Path, keep: bool = False) -> dict[str, list[float]]:
    """One Lucene column's per-query times (ms, best of 3) by query class, over the index
    ``build`` left, which is then removed (``keep``: left for another round)."""
    index = work / f"index-{engine}"
    try:
        out = subprocess.run(
            [*_java(engine, work), "query", str(index), str(work / "queries.tsv")],
            check=True, capture_output=True, text=True, timeout=3600,
        ).stdout  # fmt: skip
    finally:
        if not keep:
            shutil.rmtree(index, ignore_errors=True)
    return _last_json(out)["times_ms"]


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def run_all(corpus: Path, logs: dict[str, list[str]], work: Path) -> dict[str, dict]:
    """Both Lucene columns over a corpus, once each: {engine: its build, with ``times_ms``};
    {} when Java or the jars are missing."""
    if available():
        return {}
    prepare(corpus, logs, work)
    return {engine: {**build(engine, work), "times_ms": query(engine, work)} for engine in ENGINES}


@click.command()
@click.option("--corpus", type=click.Path(path_type=Path), required=True)
@click.option("--work", type=click.Path(path_type=Path), default=ROOT / "var" / "bench" / "lucene")
def main(corpus: Path, work: Path) -> None:
    """Run both Lucene columns on a corpus with the benchmark's query logs."""
    from benchmarks.queries import keyword_queries, questions

    reason = available()
    if reason:
        raise click.ClickException(f"Lucene columns skipped: {reason}")
    logs = {"keywords": keyword_queries(corpus, 200), "questions": questions(200)}
    click.echo(json.dumps(run_all(corpus, logs, work), indent=1))


if __name__ == "__main__":
    main()
