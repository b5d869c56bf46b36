"""Polish analysis: lemmas, stems of unknown words, glued words, pickling."""

import pickle

import pytest

from search.analysis import analyze_text, polish_analyzer
from search.morphology import family, fold
from search.schema import build_schema


def terms(text):
    return [t.text for t in polish_analyzer()(text)]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kraków", "Krakowie"),
        ("Łotwa", "na Łotwie"),
        ("Włochy", "we Włoszech"),
        ("Niemcy", "z Niemiec"),
        ("Kopenhaga", "z Kopenhagi"),
        ("Węgry", "na Węgrzech"),
        ("bezdomny", "bezdomnym"),
    ],
)
def test_inflected_forms_share_a_term(a, b):
    assert set(terms(a)) & set(terms(b))


def test_word_families_share_a_key():
    assert family("bezdomność") == family("bezdomny")
    assert family("niepełnosprawność") == family("niepełnosprawny")


def test_short_words_numbers_and_unknown_words_are_kept():
    assert "da" in terms("Leonardo da Vinci")
    assert "2007" in terms("w roku 2007")
    assert "southampton" in terms("Southampton")
    assert "cogito" in terms("Cogito")


def test_stop_words_are_dropped():
    assert terms("w i na z oraz") == []


def test_glued_words_index_their_parts():
    words = analyze_text("wizytaprzedstawicieli PomocySpołecznej")
    parts = [list(p[2]) for w in words for p in w.parts]
    assert parts == [["wizyta"], ["przedstawiciel"], ["pomoc"], ["społeczny"]]


def test_fold_handles_l_stroke():
    assert fold("Łotwa źdźbło") == "Lotwa zdzblo"


def test_schema_pickles_without_dictionaries():
    data = pickle.dumps(build_schema())
    assert len(data) < 10_000
    assert pickle.loads(data)


def test_index_positions_are_the_analyzers(corpus_dir):
    """The index's positions format computes terms and positions without Whoosh's token
    objects: on the seeds (glued and camel-case words included) it gives exactly what the
    analyzer gives token by token through Whoosh's own Positions format."""
    from whoosh.formats import Positions

    from search.analysis import PolishPositions, polish_analyzer

    analyzer = polish_analyzer()
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))]
    texts += ["Ośrodka PomocySpołecznej wizytaprzedstawicieli i w z na", "", "— 2014 r."]
    for boost in (1.0, 2.0):
        ours, whoosh = PolishPositions(field_boost=boost), Positions(field_boost=boost)
        for text in texts:
            expected = sorted(whoosh.word_values(text, analyzer))
            assert sorted(ours.word_values(text, analyzer)) == expected
    assert any(w for w, *_ in ours.word_values(texts[-3], analyzer) if w == "pomoc")


def test_term_codes_give_the_entries_of_term_positions(corpus_dir):
    """The indexer's array analysis of many texts at once (``TermCodes``) gives each text
    the terms and positions ``term_positions`` gives it alone: the seeds, with texts without
    words or with stop words only among them."""
    import numpy as np

    from search.analysis import TermCodes, term_positions

    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))]
    texts[1:1] = ["", "i w z na", "Ośrodka PomocySpołecznej wizytaprzedstawicieli", "—",
                  # white space of every kind between words, and words glued by punctuation
                  "pomoc\u00a0społeczna\u2028Kraków\tw\u3000domu\x1cdzieci, Nr_5;rodzina.Ośrodek",
                  "pomocy\ud800społecznej"]  # a lone surrogate (the indexer reads UTF-8 chunks)
    table = TermCodes()
    codes = [table.codes(text) for text in texts]
    starts = np.cumsum([0, *map(len, codes[:-1])])
    terms, which, positions = table.entries(np.concatenate(codes).astype(np.int32), starts)
    for i, text in enumerate(texts):
        found: dict[str, list[int]] = {}
        for term, position in zip(terms[which == i], positions[which == i], strict=True):
            found.setdefault(table.terms[term], []).append(int(position))
        assert found == term_positions(text)
        assert table.entry_count(codes[i]) == sum(map(len, found.values()))
    assert len(set(which.tolist())) == len(texts) - 3  # the empty and stop-word-only texts
    assert [table.codes(text) for text in texts] == codes  # again, from the memo


def test_lemmas_read_in_batches_are_each_words_own(corpus_dir):
    """``prefetch_lemmas`` analyses many words in one call of the dictionary; each word
    gets what ``lemmas`` gives it alone (agglutinated forms, unknown and odd letters
    included), and a batch whose segments do not line up with its words keeps nothing."""
    from search import morphology
    from search.analysis import text_words

    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))]
    words = sorted({w.lower() for w in text_words(texts) if w.isalpha() and len(w) >= 3})
    words += ["zrobiłem", "miałem", "dlań", "xyzzy", "ʼabc", "ﬁlm", "straße", "ⅷ", "kota"]
    morphology.prefetch_lemmas(words)
    batch = dict(morphology._prefetched)
    morphology._prefetched.clear()
    assert len(batch) == len(set(words))
    assert batch == {w: morphology.lemmas.__wrapped__(w) for w in words}
    assert batch["zrobiłem"] == ("zrobić",) and batch["xyzzy"] == ()
    morphology.prefetch_lemmas(["kota", "ala ma"])  # not one word: Morfeusz reads two
    assert morphology._prefetched == {}
