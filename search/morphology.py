"""Polish word normalisation: dictionary lemmas, a stemmer for unknown words, folding.

Known words are lemmatised with Morfeusz 2 (the SGJP dictionary, shipped in the ``morfeusz2``
wheel; loads in ~0.1 s). Words the dictionary does not know (names, foreign words, typos) go
to pystempel, and its stem is kept only when it is a plausible shortening of the word, so
unknown foreign words stay as they are instead of turning into junk. Every public function is
memoised per process: vocabularies are Zipfian, so caches absorb almost all lookups.

Nothing heavy is held by the analyzer objects themselves (Whoosh pickles them into the
index); the dictionaries live in this module's lazily created singletons.
"""

from __future__ import annotations

import struct
import threading
import unicodedata
from functools import lru_cache
from itertools import chain

MIN_STEM_LENGTH = 3
MAX_UNKNOWN_SUFFIX = 3
# Qualifiers of archaic or rare readings that only add noise to a search index.
NOISY_QUALIFIERS = {"daw.", "arch.", "przest."}
STEMMER_TABLES = {
    "polimorf": ("pystempel.data.polimorf", "stemmer_polimorf.tbl.gz"),
    "default": ("pystempel.data.original", "stemmer_20000.tbl.gz"),
}
# Bump when the analysis of a word changes: indexes built before must be rebuilt.
ANALYZER_VERSION = 1
_table = "default"  # the stemmer's table: set once per process by configure()

# Per-process memo sizes, in entries (a word and its few terms: ~0.3 KB each). A worker's
# caches stay under ~150 MB whatever the queries; see docs/architecture.md.
CACHE_WORDS = 50_000
CACHE_LEMMAS = 200_000  # dictionary lookups: diacritic variants probe many forms per word
CACHE_SMALL = 20_000
MIN_FAMILY_LEMMA = 6
PREFIX = 3  # letters compared by prefixes()

_lock = threading.Lock()
_generator_lock = threading.Lock()
_stemmer_lock = threading.Lock()
_morfeusz = None
_generator = None
_stemmer = None
_stemmer_bytes: tuple | None = None  # (stemmer, the compiled_table() bytes it was loaded from)
_snowball = None


def _get_morfeusz():
    global _morfeusz
    if _morfeusz is None:
        with _lock:
            if _morfeusz is None:
                import morfeusz2

                # Text is lower-cased before analysis; IGNORE_CASE lets "węgry" reach the
                # proper noun "Węgry", not only the archaic common noun "węgier".
                _morfeusz = morfeusz2.Morfeusz(
                    generate=False, expand_tags=False, case_handling=morfeusz2.IGNORE_CASE
                )
    return _morfeusz


def _generate(lemma: str) -> list[str]:
    """All inflected forms of a dictionary lemma (Morfeusz's generator), lower-cased."""
    global _generator
    with _generator_lock:
        if _generator is None:
            import morfeusz2

            _generator = morfeusz2.Morfeusz(analyse=False, generate=True, expand_tags=False)
        try:
            return [form[0].lower() for form in _generator.generate(lemma)]
        except RuntimeError:  # a lemma the generator does not know
            return []


@lru_cache(maxsize=CACHE_SMALL)
def prefixes(term: str) -> frozenset[str]:
    """The first letters (PREFIX) of every word form that may carry this index term.

    A stem or a lemma usually starts like its forms; inflection (dzień: dnia) and suppletion
    (rok: lat, człowiek: ludzie, dobry: najlepszy) do not, so the dictionary's generator is
    asked for every form. Snippets use this to skip analysing words that cannot match.
    """
    found = {term[:PREFIX]}
    if is_known(term) or is_known(term.capitalize()):
        # Proper nouns are generated from their capitalised lemma only.
        for lemma in (term, term.capitalize()):
            found.update(form[:PREFIX] for form in _generate(lemma) if form)
    return frozenset(found)


def _table_bytes() -> bytes:
    """The stemmer's table as pystempel ships it (gzip)."""
    from importlib.resources import files

    package, name = STEMMER_TABLES[_table]
    return (files(package) / name).read_bytes()


def _get_stemmer():
    global _stemmer
    if _stemmer is None:
        with _stemmer_lock:
            if _stemmer is None:
                import gzip

                from pystempel import Stemmer

                # Read straight into the rows stemming walks (``_Trie``): pystempel's own
                # loader reads a few bytes at a time through gzip and a progress bar into
                # ~120k cell objects (0.34 s, then 0.04 s here), before every rebuild forks.
                _stemmer = Stemmer(_parse_table(gzip.decompress(_table_bytes())))
    return _stemmer


def stemmer_loaded() -> bool:
    return _stemmer is not None


def _trie_class():
    """``_Trie``, pystempel's trie with a faster walk (defined once pystempel is imported)."""
    global _Trie
    if _Trie is None:
        from pystempel.egothor import Trie

        class Trie_(Trie):
            """pystempel's trie whose rows are dicts, letter -> (patch command, next row), and
            whose ``get_last_on_path`` reads them in one loop: a third faster than
            pystempel's rows of cell objects, whose walk it repeats step by step."""

            def get_last_on_path(self, key):
                rows, cmds = self.rows, self.cmds
                last = None
                now = rows[self.root]
                if not self.forward:
                    key = key[::-1]
                for ch in key[:-1]:
                    cell = now.get(ch)
                    if cell is None:
                        return last
                    cmd, ref = cell
                    if cmd >= 0:
                        last = cmds[cmd]
                    if ref < 0:
                        return last
                    now = rows[ref]
                cell = now.get(key[-1])
                return cmds[cell[0]] if cell is not None and cell[0] >= 0 else last

        _Trie = Trie_
    return _Trie


_Trie = None


def _root(tries: list, multi: bool, forward: bool, by: int):
    """The stemmer's trie from its tries (``_Trie``): pystempel's MultiTrie2 over them, or
    the one trie."""
    if not multi:
        return tries[0]
    from pystempel.egothor import MultiTrie2

    root = MultiTrie2(forward=forward)
    root.BY = by
    root.tries = tries
    return root


_INT = struct.Struct(">i")
_CELL = struct.Struct(">H4i")  # a cell of the table: letter, command, count, next row, skip


def _parse_table(data: bytes):
    """pystempel's table file (the Java DataOutputStream of Egothor's tries: ``Stemmer.
    from_stream`` reads the same) as the trie ``_Trie`` walks, a row's cells by letter (the
    last of a repeated letter winning, as in pystempel's dict); tests compare the tables and
    stems with pystempel's."""
    pos = 0

    def read_int() -> int:
        nonlocal pos
        pos += 4
        return _INT.unpack_from(data, pos - 4)[0]

    def read_utf() -> str:
        nonlocal pos
        length = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2 + length
        return data[pos - length : pos].decode("utf-8")

    def read_boolean() -> bool:
        nonlocal pos
        pos += 1
        return data[pos - 1] != 0

    def read_trie():
        nonlocal pos
        forward, root = read_boolean(), read_int()
        cmds = [read_utf() for _ in range(read_int())]
        rows = []
        for _ in range(read_int()):
            count = read_int()
            cells = {}
            for letter, cmd, _cnt, ref, _skip in _CELL.iter_unpack(data[pos : pos + 18 * count]):
                cells[chr(letter)] = (cmd, ref)
            pos += 18 * count
            rows.append(cells)
        return _trie_class()(forward=forward, root=root, cmds=cmds, rows=rows)

    multi = "M" in read_utf().upper()  # the method (pystempel: MultiTrie2 if it has an M)
    if not multi:
        return read_trie()
    forward, by = read_boolean(), read_int()
    return _root([read_trie() for _ in range(read_int())], True, forward, by)


# The stemmer's parsed table in a form that loads faster than the table file parses
# (stemming reads only each cell's command and next row). Index builds keep it
# (search.stemfiles), so that servers and updates start without parsing.
COMPILED_FORMAT = 2


def _row_data(row: dict) -> tuple[str, bytes]:
    """(letters, cells) of a row: the cells as little-endian int32 pairs (command, next row)."""
    return "".join(row), struct.pack(f"<{2 * len(row)}i", *chain.from_iterable(row.values()))


def _table_digest() -> str:
    import hashlib

    return hashlib.sha1(_table_bytes()).hexdigest()


def compiled_table() -> bytes | None:
    """The stemmer's table, parsed, as bytes for ``use_compiled_table`` (None: no table)."""
    import marshal

    from pystempel.egothor import MultiTrie

    if _table == "none":
        return None
    stemmer = _get_stemmer()
    if _stemmer_bytes is not None and _stemmer_bytes[0] is stemmer:
        return _stemmer_bytes[1]  # the bytes it was loaded from: the same table, kept as is
    root = stemmer.stemmer_trie
    multi = isinstance(root, MultiTrie)
    tries = root.tries if multi else [root]
    return marshal.dumps(
        {
            "format": COMPILED_FORMAT,
            "table": _table,
            "source": _table_digest(),
            "multi": multi,
            "forward": root.forward,
            "by": getattr(root, "BY", 1),
            "tries": [
                (t.forward, t.root, list(t.cmds),
                 [_row_data(r) for r in t.rows])
                for t in tries
            ],
        }
    )  # fmt: skip


def _compiled_row(letters: str, cells: bytes) -> dict:
    values = struct.unpack(f"<{2 * len(letters)}i", cells)
    return dict(zip(letters, zip(values[0::2], values[1::2], strict=True), strict=True))


def use_compiled_table(data: bytes) -> bool:
    """Take the stemmer from ``compiled_table()``'s bytes if they are of this process's table
    (same name and the same pystempel data); return whether they were taken."""
    global _stemmer, _stemmer_bytes
    import marshal

    from pystempel import Stemmer

    try:
        found = marshal.loads(data)
        if not isinstance(found, dict) or found.get("format") != COMPILED_FORMAT:
            return False
        if found.get("table") != _table or found.get("source") != _table_digest():
            return False
        tries = [
            _trie_class()(forward=fwd, root=root, cmds=cmds,
                          rows=[_compiled_row(*row) for row in rows])
            for fwd, root, cmds, rows in found["tries"]
        ]  # fmt: skip
        root = _root(tries, found["multi"], found["forward"], found["by"])
    except (ValueError, EOFError, TypeError, KeyError, struct.error):
        return False
    with _stemmer_lock:
        if _stemmer is None:
            _stemmer = Stemmer(root)
            _stemmer_bytes = (_stemmer, data)
    return True


def _get_snowball():
    global _snowball
    if _snowball is None:
        import Stemmer  # PyStemmer: Snowball's Polish stemmer, compiled

        _snowball = Stemmer.Stemmer("polish")
    return _snowball


def configure(stemmer_table: str) -> None:
    """Choose pystempel's table for words the dictionary does not know (once, at start-up)."""
    global _table, _stemmer
    if stemmer_table != _table:
        if stemmer_table not in STEMMER_TABLES and stemmer_table != "none":
            raise ValueError(f"unknown stemmer table {stemmer_table!r}")
        with _stemmer_lock:
            _table, _stemmer = stemmer_table, None
        for clear in (_safe_stem.cache_clear, normalize.cache_clear, *_dependent_caches):
            clear()


_dependent_caches: list = []  # cache_clear of memos built on normalize() (search.analysis)


def depends_on_table(memo):
    """Register a memoised function whose results depend on the stemmer's table."""
    _dependent_caches.append(memo.cache_clear)
    return memo


def stemmer_table() -> str:
    return _table


def analyzer_identity() -> dict:
    """What decides the index terms of a word: an index built by another analyzer is unusable."""
    import morfeusz2

    return {
        "analyzer_version": ANALYZER_VERSION,
        "stemmer_table": _table,
        "morfeusz": morfeusz2.__version__,
        "dictionary": _get_morfeusz().dict_id(),
    }


def warm_up(stemmer: bool = True, forms: bool = True) -> None:
    """Load the dictionary (and the stemmer's table) now rather than on the first query.

    The table takes 0.1 s (default) to 0.3 s (polimorf) to parse; a server loads it in the
    background instead (``stemmer=False`` here, then ``load_stemmer``), since only words the
    dictionary does not know need it: those queries wait for it, others are answered at once.
    ``forms``: also the dictionary's generator of inflected forms, which snippets use and
    indexing does not (a second instance of the dictionary, 0.04 s).
    """
    lemmas("kraków")
    if forms:
        prefixes("rok")
    if stemmer:
        _get_stemmer()


def load_stemmer() -> None:
    """Load the stemmer's table (a no-op once loaded)."""
    _get_stemmer()


def fold(text: str) -> str:
    """Strip Polish (and other Latin) diacritics: 'Łotwa' -> 'Lotwa' (ł has no decomposition)."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Whether a tag id ends a word's analysis (ign, dig, interp: not a word) and whether a labels
# id marks a noisy reading, by Morfeusz's ids: filled on first sight, since asking the
# binding for a reading's tag and labels as strings was a fifth of a new word's analysis.
_ends_analysis: dict[int, bool] = {}
_noisy_labels: dict[int, bool] = {0: False}


@lru_cache(maxsize=CACHE_LEMMAS)
def lemmas(word: str) -> tuple[str, ...]:
    """Dictionary lemmas of a lower-case word, lower-cased; () when the word is unknown.

    Only readings of the word's first segment count: Morfeusz splits agglutinated forms
    ("zrobiłem" = "zrobił" + "em"), and the auxiliary's lemma "być" is not the word's.
    Uses the binding's raw results (about 40% faster than its tuple-building wrapper).
    """
    found = _prefetched.pop(word, None)
    if found is not None:
        return found
    raw = _get_morfeusz()._morfeusz_obj
    readings: list[str] = []
    for interp in raw.analyse(word):
        if interp.startNode == 0 and not _take_reading(raw, interp, readings):
            return ()
    return tuple(readings)


def _take_reading(raw, interp, found: list[str]) -> bool:
    """Add a first-segment reading's lemma to ``found``; False when the reading says the
    word is no dictionary word (unknown, a number, punctuation)."""
    tag_id = interp.tagId
    ends = _ends_analysis.get(tag_id)
    if ends is None:
        tag = interp.getTag(raw)
        ends = _ends_analysis[tag_id] = tag in ("ign", "dig") or tag.startswith("interp")
    if ends:
        return False
    labels_id = interp.labelsId
    noisy = _noisy_labels.get(labels_id)
    if noisy is None:
        noisy = bool(NOISY_QUALIFIERS.intersection(interp.getLabels(raw)))
        _noisy_labels[labels_id] = noisy
    if not noisy:
        base = interp.lemma.split(":", 1)[0].lower()
        if base and base not in found:
            found.append(base)
    return True


# lemmas() of words analysed together (prefetch_lemmas), each taken once by lemmas()
_prefetched: dict[str, tuple[str, ...]] = {}


def prefetch_lemmas(words: list[str]) -> None:
    """Analyse many lower-case words (letters only) in one call of the dictionary, for
    ``lemmas`` to take: a sixth faster than a call per word, which the binding costs.

    The words' readings come as one graph: a word's segments start where the previous
    word's end, and a node's place in the text is known from the segments before it
    (their lengths). Should a node not fall where a word ends, nothing is kept: each word
    is then analysed on its own."""
    words = list(dict.fromkeys(words))
    if not words:
        return
    raw = _get_morfeusz()._morfeusz_obj
    out: dict[str, tuple[str, ...]] = {}
    ends, total = [], 0
    for word in words:
        total += len(word)
        ends.append(total)
    offset = {0: 0}  # node -> characters of the words before it
    k, first_node, found, unknown = 0, 0, [], False
    for interp in raw.analyse(" ".join(words)):
        node = interp.startNode
        if node != first_node and offset.get(node) == ends[k]:  # the next word starts
            out[words[k]] = () if unknown else tuple(found)
            k, first_node, found, unknown = k + 1, node, [], False
            if k == len(words):
                return
        at = offset.get(node)
        if at is None:
            return  # a segment from a node not reached yet: not the graph expected
        end = interp.endNode
        if end not in offset:  # (the segment's text only for its first reading: orth is dear)
            offset[end] = at + len(interp.orth)
        if node == first_node and not unknown and not _take_reading(raw, interp, found):
            unknown = True
    if k != len(words) - 1 or offset.get(max(offset)) != total:
        return  # the segments did not line up with the words
    out[words[k]] = () if unknown else tuple(found)
    _prefetched.clear()  # what an earlier call left unasked (lemmas() had it already)
    _prefetched.update(out)


def is_known(word: str) -> bool:
    """Whether the dictionary knows this lower-case word."""
    return bool(lemmas(word))


# Stems of unknown words, remembered. Bounded: a word evicted from it is stemmed again.
MAX_REMEMBERED_STEMS = 300_000


def stem_unknown(word: str) -> str:
    """Stem a word the dictionary does not know, or return it unchanged if stemming is unsafe.

    pystempel rewrites endings by learned rules; on names and foreign words it invents stems
    ('southampton' -> 'southampta', 'cogito' -> 'cogić'). A stem is accepted only when it
    merely cuts an ending of at most a few letters off the word.
    """
    if len(word) <= 4 or not word.isalpha() or _table == "none":
        return word
    return _safe_stem(word)


@lru_cache(maxsize=MAX_REMEMBERED_STEMS)  # thread-safe, in C: a new word's stem is asked once
def _safe_stem(word: str) -> str:
    stem = _get_stemmer()(word)
    if not stem or len(stem) < max(MIN_STEM_LENGTH, len(word) - MAX_UNKNOWN_SUFFIX):
        return word
    return stem if word.startswith(stem) else word


@lru_cache(maxsize=CACHE_SMALL)
def split_compound(word: str) -> tuple[str, ...]:
    """Split words glued by text extraction ('wizytaprzedstawicieli') into known words.

    Returns () when the word is not a concatenation of dictionary words of 4+ letters.
    """
    if len(word) < 8 or is_known(word):
        return ()
    best: tuple[str, ...] = ()
    for i in range(4, len(word) - 3):
        left, right = word[:i], word[i:]
        if not is_known(left):
            continue
        rest = (right,) if is_known(right) else split_compound(right)
        if rest:
            candidate = (left, *rest)
            if not best or min(map(len, candidate)) > min(map(len, best)):
                best = candidate
    return best


@lru_cache(maxsize=CACHE_WORDS)
def normalize(word: str) -> tuple[str, ...]:
    """Index terms for one lower-case word: its lemmas, or a safe stem when it is unknown."""
    if len(word) < MIN_STEM_LENGTH or not word.isalpha():
        return (word,)
    found = lemmas(word)
    if found:
        return found
    return (stem_unknown(word),)


@lru_cache(maxsize=CACHE_SMALL)
def family(lemma: str) -> str | None:
    """A key shared by a word family: 'bezdomność', 'bezdomny', 'bezdomni' -> 'bezdomn'.

    The key is (nearly always) a prefix of every lemma in the family, so the family of a
    query word is found at query time by a prefix scan of the index's terms.

    Snowball's Polish stemmer applied to the lemma (not the inflected form) strips the
    adjective and noun endings; the abstract-noun suffix -ość is folded onto its adjective.
    """
    if len(lemma) < MIN_FAMILY_LEMMA or not lemma.isalpha():
        return None
    root = _get_snowball().stemWord(lemma)
    for suffix in ("ośc", "ość"):
        if root.endswith(suffix) and len(root) - len(suffix) >= 4:
            root = root[: -len(suffix)]
    return root
