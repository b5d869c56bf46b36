"""Generate large archives in the corpus format, deterministically, for benchmarks.

Text comes from real Polish sentences (the PoQuAD paragraphs in shared/); a long tail of rare
word forms (invented surnames and place names in Polish cases) grows the vocabulary with the
corpus as real archives do, so stemming caches meet realistic growth. Every layout quirk of
the seed documents occurs: blank, whitespace-only or missing separators, titles glued to the
previous sentence, hard-wrapped paragraphs, a missing final period, words glued together.

    python -m benchmarks.generate --articles 20000 --out var/bench/corpus-20k
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import click

DEFAULT_SOURCE = (
    Path(__file__).resolve().parent.parent.parent / "shared/relevance/poquad-test-A/docs.jsonl"
)
ARTICLES_PER_FILE = 30
HEADER = "Archiwum BIP MJO - Miejski Ośrodek Pomocy Społecznej\nDokument archiwalny\n"
MONTHS = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
          "września", "października", "listopada", "grudnia"]  # fmt: skip
TITLE_PATTERNS = [
    "Wizyta delegacji z {place}",
    "Spotkanie grupy roboczej {name} w {place_loc}",
    "Seminarium w {place_loc}",
    "Wizyta studyjna przedstawicieli MOPS w {place_loc}",
    "Delegacja z {place} w Miejskim Ośrodku Pomocy Społecznej",
    "Konferencja {name} w {place_loc}",
]
SYLLABLES = ["ko", "wa", "rzy", "ń", "ski", "bo", "le", "sła", "wic", "dro", "mi", "rek", "ta",
             "szcz", "pa", "nów", "gó", "ra", "bie", "lin", "dzi", "chy", "zu", "fel"]  # fmt: skip
NAME_CASES = ["", "a", "owi", "em", "ie", "ego", "u"]


def load_sentences(source: Path) -> list[str]:
    """Sentences of real Polish prose (20-300 characters) from a docs.jsonl file."""
    sentences = []
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            body = json.loads(line)["body"]
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-ZĄĆĘŁŃÓŚŹŻ])", body):
                if 20 <= len(sentence) <= 300 and sentence.endswith("."):
                    sentences.append(sentence)
    return sentences


class ArchiveGenerator:
    """Deterministic archive text: the same seed and size give byte-identical files."""

    def __init__(self, sentences: list[str], seed: int = 2024):
        self.rng = random.Random(seed)
        self.sentences = sentences

    def rare_word(self) -> str:
        """An invented proper name in a Polish case: the vocabulary's long tail."""
        rng = self.rng
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        return stem.capitalize() + rng.choice(NAME_CASES)

    def sentence(self) -> str:
        text = self.rng.choice(self.sentences)
        if self.rng.random() < 0.3:
            words = text.split()
            words.insert(self.rng.randint(1, len(words)), self.rare_word())
            text = " ".join(words)
        return text

    def title(self) -> str:
        rng = self.rng
        pattern = rng.choice(TITLE_PATTERNS)
        return pattern.format(
            place=self.rare_word(), place_loc=self.rare_word(), name=self.rare_word().upper()[:6]
        )

    def paragraph(self, first: bool) -> str:
        rng = self.rng
        sentences = [self.sentence() for _ in range(rng.randint(1, 4))]
        if first and rng.random() < 0.6:
            lead = f"W dniu {rng.randint(1, 28)} {rng.choice(MONTHS)}"
            if rng.random() < 0.5:
                lead += f" {rng.randint(2003, 2016)}"
            sentences.insert(0, f"{lead} odbyło się spotkanie z udziałem {self.rare_word()}.")
        text = " ".join(sentences)
        if rng.random() < 0.05 and text.count(" ") > 2:  # words glued by text extraction
            words = text.split(" ")
            i = rng.randrange(1, len(words))
            words[i - 1 : i + 1] = [words[i - 1] + words[i]]
            text = " ".join(words)
        if rng.random() < 0.15 and len(text) > 120:  # hard wrap before a lower-case word
            match = re.search(r" (?=[a-ząćęłńóśźż])", text[60:])
            if match:
                cut = 60 + match.start()
                text = text[:cut] + "\n" + text[cut + 1 :]
        return text

    def article(self) -> tuple[str, list[str]]:
        paragraphs = [self.paragraph(i == 0) for i in range(self.rng.randint(1, 4))]
        if self.rng.random() < 0.1:  # the last sentence without its final period
            paragraphs[-1] = paragraphs[-1].rstrip(".")
        return self.title(), paragraphs

    def document(self, n_articles: int) -> tuple[str, list[str]]:
        """One document's text and its titles, with the seeds' separators and quirks."""
        rng = self.rng
        out = [HEADER]
        titles = []
        for i in range(n_articles):
            title, paragraphs = self.article()
            titles.append(title)
            if i > 0 and rng.random() < 0.08 and out[-1].endswith("."):
                out[-1] = out[-1] + title  # title glued to the previous sentence
            else:
                out.append(rng.choice(["\n", "\n\n", "\n \n", "\n\u00a0\n\n", "\n\n\n"]) + title)
            separator = rng.choice(["\n", "\n\n", "\n  \n"])
            out.append(separator + "\n".join(paragraphs))
        return "\n".join(out) + "\n", titles


def generate(articles: int, out: Path, seed: int = 2024, source: Path = DEFAULT_SOURCE) -> dict:
    """Write ~articles/30 files into out; return {files, articles, bytes, titles}."""
    out.mkdir(parents=True, exist_ok=True)
    generator = ArchiveGenerator(load_sentences(source), seed)
    written = total_bytes = 0
    titles: list[str] = []
    index = 0
    while written < articles:
        n = min(ARTICLES_PER_FILE, articles - written)
        text, doc_titles = generator.document(n)
        data = text.encode("utf-8")
        (out / f"gen_{index:05d}.txt").write_bytes(data)
        total_bytes += len(data)
        titles += doc_titles
        written += n
        index += 1
    return {"files": index, "articles": written, "bytes": total_bytes, "titles": titles}


@click.command()
@click.option("--articles", type=int, default=2000, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--seed", type=int, default=2024, show_default=True)
def main(articles: int, out: Path, seed: int) -> None:
    """Generate a synthetic archive corpus."""
    stats = generate(articles, out, seed)
    click.echo(
        f"{stats['files']} files, {stats['articles']} articles, {stats['bytes'] / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
