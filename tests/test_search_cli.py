"""``python -m search``: the administrators' terminal search."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from search.__main__ import main, terminal_text


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_prints_ranked_results_with_highlights(index_dir):
    result = run("bezdomność", "--index", str(index_dir), "--no-color")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Znaleziono: 2")
    assert "1. Wizyta delegacji z Wielkiej Brytanii" in result.output
    assert "*Bezdomnym*" in result.output and "<mark>" not in result.output


def test_colour_marks_matches_on_terminals(index_dir):
    result = CliRunner().invoke(main, ["Bruksela", "--index", str(index_dir), "--color"],
                                color=True)  # fmt: skip
    assert "\x1b[1m\x1b[7mBrukseli\x1b[0m" in result.output


def test_json_output(index_dir):
    result = run("wizyta", "--index", str(index_dir), "--json", "--per-page", "3",
                 "--sort", "newest")  # fmt: skip
    data = json.loads(result.output)
    assert data["total"] >= 10 and len(data["results"]) == 3
    dates = [r["date"] for r in data["results"]]
    assert dates == sorted(dates, reverse=True)
    assert sum(f["count"] for f in data["facets"]["years"]) == data["total"]


def test_filters(index_dir):
    data = json.loads(run("wizyta", "--index", str(index_dir), "--json", "--year", "2015").output)
    assert data["results"] and all(r["date"].startswith("2015") for r in data["results"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["", "--index", "{index}"], "must not be empty"),
        (["x" * 501, "--index", "{index}"], "at most 500 characters"),
        (["wizyta", "--index", "{missing}"], "no index at"),
        (["wizyta", "--sort", "random"], "Invalid value for '--sort'"),
    ],
)
def test_errors_are_clear(index_dir, tmp_path, args, message):
    args = [a.format(index=index_dir, missing=tmp_path / "none") for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0 and message in result.output


def test_terminal_text_unescapes_and_strips_html():
    snippet = "a &lt;b&gt; <mark>Kraków</mark> &amp; c"
    assert terminal_text(snippet, color=False) == "a <b> *Kraków* & c"
