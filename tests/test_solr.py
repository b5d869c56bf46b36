"""The SolrCloud backend's parts that need no cluster: the query mapping, the configset,
the settings, and the plain message when no cluster can run here."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from cluster.launcher import missing_tools
from indexer.solr import configset_zip, document_fingerprint
from search.query import parse
from search.request import QueryError
from search.settings import Settings, SettingsError
from search.solr import CONFIGSET_DIR, node_urls, solr_query
from search.stopwords import STOPWORDS

MAPPING = [
    # query as typed, any-words query, all-words query
    ("bezdomność", "+(bezdomność)", "+bezdomność"),
    ("pomoc dla bezdomnych", "+(pomoc OR bezdomnych)", "+pomoc +bezdomnych"),
    ('"pomocy społecznej" Kraków', '+("pomocy społecznej" OR Kraków)',
     '+"pomocy społecznej" +Kraków'),
    ("Kanada OR Dania", "+((Kanada OR Dania))", "+(Kanada OR Dania)"),
    ("pomoc -bezdomność", "+(pomoc) -bezdomność", "+pomoc -bezdomność"),
    ("title:wizyta", "+((title:wizyta OR title_folded:wizyta))",
     "+(title:wizyta OR title_folded:wizyta)"),
    # Query syntax in the words is escaped, never run: users type text, not Lucene syntax.
    ("a+b (c) [d] {e}", r"+(a\+b OR \(c\) OR \[d\] OR \{e\})", r"+a\+b +\(c\) +\[d\] +\{e\}"),
    ("AND", '+("AND")', '+"AND"'),
    ("zdrowie*:?", r"+(zdrowie\*\:\?)", r"+zdrowie\*\:\?"),
    ('-"tylko wykluczone"', '*:* -"tylko wykluczone"', '*:* -"tylko wykluczone"'),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "any_words", "all_words"), MAPPING)
def test_query_language_maps_to_edismax(typed, any_words, all_words):
    query = solr_query(parse(typed))
    assert (query.any, query.all) == (any_words, all_words)


@pytest.mark.parametrize("typed", ["w i z", "się", "-"])
def test_stop_words_alone_search_nothing(typed):
    assert solr_query(parse(typed)) is None


def test_the_same_bounds_as_the_embedded_engine():
    with pytest.raises(QueryError, match="at most 32 words"):
        solr_query(parse(" ".join(f"słowo{i}" for i in range(40))))
    with pytest.raises(QueryError, match="phrase may hold at most 12"):
        solr_query(parse('"' + " ".join(["roku lat"] * 7) + '"'))


def test_configset_stop_words_are_the_projects():
    lines = (CONFIGSET_DIR / "stopwords_pl.txt").read_text(encoding="utf-8").splitlines()
    assert {w for w in lines if w and not w.startswith("#")} == STOPWORDS


def test_configset_zip_holds_the_conf_files():
    names = zipfile.ZipFile(BytesIO(configset_zip())).namelist()
    assert sorted(names) == ["schema.xml", "solrconfig.xml", "stopwords_pl.txt"]


def test_fingerprint_changes_with_any_field():
    doc = {"id": "a", "title": "T", "body": "B"}
    assert document_fingerprint(doc) == document_fingerprint(dict(doc))
    assert document_fingerprint(doc) != document_fingerprint({**doc, "body": "B2"})


SETTINGS_ERRORS = [
    ({"SEARCH_BACKEND": "elastic"}, "SEARCH_BACKEND must be one of whoosh, solr"),
    ({"SEARCH_BACKEND": "solr"}, "SOLR_URL must name the Solr nodes"),
    ({"SEARCH_BACKEND": "solr", "SOLR_URL": "http://x/solr", "SOLR_COLLECTION": "a b"},
     "SOLR_COLLECTION must be"),
    ({"SOLR_SHARDS": "0"}, "SOLR_SHARDS must be between 1 and 64"),
]  # fmt: skip


@pytest.mark.parametrize(("environ", "message"), SETTINGS_ERRORS)
def test_backend_settings_are_checked(environ, message):
    with pytest.raises(SettingsError, match=message):
        Settings.load(environ)


def test_solr_url_lists_nodes():
    assert node_urls(" http://a:1/solr/, http://b:2/solr ") == ["http://a:1/solr", "http://b:2/solr"]
    with pytest.raises(ValueError):
        node_urls(" , ")


def test_no_jdk_is_said_plainly(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert "`java` is not installed" in missing_tools()
