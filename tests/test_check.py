"""``python -m indexer check``: the split audit an archivist runs before a rebuild."""

import json

import pytest
from click.testing import CliRunner

from indexer.cli import main
from tests.conftest import SEEDS, copy_corpus

# Seed headlines turned into ordinary sentences glued to the paragraph above.
HIDDEN = ["Seminarium w Berlinie", "Wizyta na Węgrzech", "Wizyta studyjna we Francji"]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def audit(corpus) -> dict[str, dict]:
    result = run("check", "--corpus", str(corpus), "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    return {row["source"]: row for row in rows}


def hide_headlines(text: str, titles: list[str]) -> str:
    for title in titles:
        i = text.index(f"\n{title}\n")
        before, after = text[:i].rstrip(), text[i + len(title) + 2 :].lstrip("\n \u00a0")
        text = f"{before} {title} – to kolejne spotkanie.\n{after}"
    return text


def test_seeds_audit_as_21_articles_without_warnings(tmp_path):
    rows = audit(copy_corpus(tmp_path / "c"))
    assert sum(r["articles"] for r in rows.values()) == 21
    assert all(set(r) == {"source", "articles", "warnings"} for r in rows.values())
    assert [w for r in rows.values() for w in r["warnings"]] == []


def test_hidden_headlines_raise_more_warnings(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    name = "000_a8c119e7a8e6c506.txt"
    seeds = sum(len(r["warnings"]) for r in audit(corpus).values())
    text = (SEEDS / name).read_text(encoding="utf-8")
    (corpus / name).write_text(hide_headlines(text, HIDDEN), encoding="utf-8")
    rows = audit(corpus)
    assert rows[name]["articles"] == 17 - len(HIDDEN)
    warnings = rows[name]["warnings"]
    assert len(warnings) > seeds
    assert {w["kind"] for w in warnings} <= {
        "long_article", "date_out_of_line", "headline_like_text", "weak_headline"
    }  # fmt: skip
    assert all(set(w) == {"line", "kind", "message"} and w["line"] > 0 for w in warnings)


def test_plain_output_is_a_table_with_warning_lines(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    (corpus / "x.txt").write_text(
        "Jakiś wstęp bez nagłówka, długi na tyle, by był akapitem tekstu, a nie tytułem,"
        " i kończy się kropką.\n\nTytuł\n\nTreść artykułu, która też jest zdaniem.\n",
        encoding="utf-8",
    )
    result = run("check", "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["document", "articles", "warnings"]
    assert any(line.startswith("x.txt:1: text_before_headline:") for line in lines)
    assert lines[-1].startswith("3 documents, ")


def test_evidence_names_the_features_behind_each_headline(tmp_path):
    result = run("check", "--corpus", str(copy_corpus(tmp_path / "c")), "--evidence")
    assert result.exit_code == 0, result.output
    assert "HEADLINE" in result.output and "Seminarium w Berlinie" in result.output
    assert "blank_before" in result.output


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "corpus folder not found"),
        (lambda p: p.mkdir(), "no *.txt documents found"),
        (lambda p: (p.mkdir(), (p / "a.txt").write_bytes(b"\0" * 99)), "no document could be"),
    ],
    ids=["missing", "empty", "unreadable"],
)
def test_unreadable_corpus_is_an_error(tmp_path, setup, message):
    corpus = tmp_path / "c"
    setup(corpus)
    result = CliRunner().invoke(main, ["check", "--corpus", str(corpus)])
    assert result.exit_code != 0
    assert message in result.output


def test_rebuild_points_to_check_when_splits_are_doubtful(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    name = "000_a8c119e7a8e6c506.txt"
    text = (SEEDS / name).read_text(encoding="utf-8")
    (corpus / name).write_text(hide_headlines(text, HIDDEN), encoding="utf-8")
    result = run("rebuild", "--corpus", str(corpus), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    assert "doubtful article splits: run `python -m indexer check`" in result.output
    result = run("update", "--corpus", str(corpus), "--index", str(tmp_path / "ix"))
    assert "doubtful article splits" in result.output
