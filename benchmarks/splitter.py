"""Train and score the article splitter on hand-labelled archive documents.

A labelled document is ``NAME.txt`` beside ``NAME.titles.json`` (``{"titles": [...]}``, the exact
headlines in order). ``tests/data/articles/`` holds the development set by family: ``design-*``
families were looked at while designing the features; ``heldout-*`` families were not, and
their score is the honest estimate.

    python -m benchmarks.splitter score                # every family, P/R/F1
    python -m benchmarks.splitter train --out indexer/splitter_model.json
    python -m benchmarks.splitter train --families design-a,design-b,seeds --score-all
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import click

from indexer.features import Candidate
from indexer.splitter import (
    Model,
    Stage,
    cut,
    default_model,
    glue_trials,
    line_features,
    prepare,
    split_document,
    with_profile,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "articles"
DESIGN = ("seeds", "design-a", "design-b")


@dataclass
class Labelled:
    family: str
    name: str
    text: str
    titles: list[str]


def _norm(text: str) -> str:
    return " ".join(text.split())


def load(families: list[str] | None = None, data: Path = DATA) -> list[Labelled]:
    """The labelled documents of the given families (folders under ``data``)."""
    docs = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        if families and folder.name not in families:
            continue
        for txt in sorted(folder.glob("*.txt")):
            label_file = txt.with_suffix(".titles.json")
            if not label_file.exists():
                continue
            labels = json.loads(label_file.read_text("utf-8"))
            titles = [_norm(t) for t in labels["titles"]]
            docs.append(Labelled(folder.name, txt.name, txt.read_text("utf-8"), titles))
    return docs


# -- scoring -------------------------------------------------------------------------------


def matched(predicted: list[str], gold: list[str]) -> int:
    """How many headlines agree, in order (longest common subsequence of the two lists)."""
    prev = [0] * (len(gold) + 1)
    for p in predicted:
        cur = [0]
        for j, g in enumerate(gold):
            cur.append(prev[j] + 1 if p == g else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def prf(tp: int, npred: int, ngold: int) -> tuple[float, float, float]:
    p = tp / npred if npred else 1.0
    r = tp / ngold if ngold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(docs: list[Labelled], model: Model | None = None) -> dict[str, tuple[int, int, int]]:
    """Per family: (matched, predicted, gold) headline counts."""
    totals: dict[str, list[int]] = {}
    for doc in docs:
        predicted = [_norm(a.title) for a in split_document(doc.text, model).articles]
        t = totals.setdefault(doc.family, [0, 0, 0])
        t[0] += matched(predicted, doc.titles)
        t[1] += len(predicted)
        t[2] += len(doc.titles)
    return {k: tuple(v) for k, v in totals.items()}


def report(totals: dict[str, tuple[int, int, int]]) -> str:
    """A Markdown table: each family, the design and held-out groups, and everything."""
    groups = dict(totals)
    prefixes = sorted({k.split("-")[0] for k in totals if "-" in k})
    for prefix in prefixes:
        members = [v for k, v in totals.items() if k.startswith(f"{prefix}-")]
        if prefix == "design" and "seeds" in totals:
            members.append(totals["seeds"])
        if len(members) > 1:
            groups[f"{prefix} (all)"] = tuple(map(sum, zip(*members, strict=True)))
    groups["all"] = tuple(map(sum, zip(*totals.values(), strict=True)))
    rows = ["| family | headlines | precision | recall | F1 |", "|---|---|---|---|---|"]
    for name, (tp, npred, ngold) in groups.items():
        p, r, f = prf(tp, npred, ngold)
        rows.append(f"| {name} | {ngold} | {p:.3f} | {r:.3f} | {f:.3f} |")
    return "\n".join(rows)


# -- training ------------------------------------------------------------------------------


@dataclass
class Examples:
    """Training rows of one document: first-reading rows (glue points included) and the
    final candidates with their features and labels, for the second reading."""

    first_rows: list[tuple[dict[str, float], int]]
    cands: list[Candidate]
    feats: list[dict[str, float] | None]
    labels: list[int]


def examples(text: str, titles: list[str]) -> Examples:
    """Label every candidate (lines and glue points) of one document by its headlines."""
    _institution, cands, stats = prepare(text)
    wanted = list(titles)
    glue_rows: list[tuple[dict[str, float], int]] = []
    labels: list[int] = []
    i = 0
    while i < len(cands):
        hit = None
        for at, feats in glue_trials(cands, i, stats):
            positive = hit is None and bool(wanted) and cands[i].text[at:] == wanted[0]
            glue_rows.append((feats, int(positive)))
            if positive:
                hit = at
        if hit is not None:
            cut(cands, i, hit)
        text_i = cands[i].text
        if wanted and text_i == wanted[0]:
            labels.append(1)
            wanted.pop(0)
        elif text_i in wanted:
            # Headlines are found in order: a later one means earlier ones were unreachable.
            del wanted[: wanted.index(text_i) + 1]
            labels.append(1)
        else:
            labels.append(0)
        i += 1
    feats = line_features(cands, stats)
    rows = [(f, y) for f, y in zip(feats, labels, strict=True) if f is not None]
    return Examples(glue_rows + rows, cands, feats, labels)


def augment(doc: Labelled, rng: random.Random) -> str:
    """The document with the layouts of flattened HTML applied to some of its headlines.

    Headlines are glued to the previous sentence, lose the blank line after them, or lose
    the blank lines before them: the layouts the design families lack, applied to their own
    text, so the model learns them from layout and not from wording.
    """
    lines = doc.text.split("\n")
    wanted = set(doc.titles)
    for i in range(len(lines) - 1, 2, -1):
        if i >= len(lines) or _norm(lines[i]) not in wanted:
            continue
        j = i - 1
        while j > 0 and not lines[j].strip():
            j -= 1
        roll = rng.random()
        if roll < 0.2 and re.search(r"[.!?”]$", lines[j].rstrip()):
            lines[j] = lines[j].rstrip() + lines[i].strip()
            del lines[j + 1 : i + 1]
        elif roll < 0.35 and i + 1 < len(lines) and not lines[i + 1].strip():
            k = i + 1
            while k < len(lines) and not lines[k].strip():
                k += 1
            del lines[i + 1 : k]
        elif roll < 0.45:
            del lines[j + 1 : i]
    return "\n".join(lines)


def _fit(rows: list[tuple[dict[str, float], int]], c: float) -> Stage:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer(sparse=False)
    x = vec.fit_transform([f for f, _ in rows])
    lr = LogisticRegression(C=c, max_iter=5000)
    lr.fit(x, [y for _, y in rows])
    names = vec.get_feature_names_out()
    weights = {n: round(float(w), 4) for n, w in zip(names, lr.coef_[0], strict=True)}
    return Stage(weights=weights, bias=round(float(lr.intercept_[0]), 4))


def train(
    docs: list[Labelled], c: float = 1.0, copies: int = 3, seed: int = 7, threshold: float = 0.5
) -> Model:
    """Fit both readings on the documents and layout-augmented copies of them."""
    rng = random.Random(seed)
    labelled = [
        examples(text, doc.titles)
        for doc in docs
        for text in [doc.text] + [augment(doc, rng) for _ in range(copies)]
    ]
    first = _fit([row for ex in labelled for row in ex.first_rows], c)
    second_rows = []
    for ex in labelled:
        feats = with_profile(ex.cands, ex.feats, first)
        second_rows += [(f, y) for f, y in zip(feats, ex.labels, strict=True) if f is not None]
    return Model(first=first, second=_fit(second_rows, c), threshold=threshold)


@click.group()
def main() -> None:
    """Train and score the article splitter."""


@main.command("score")
@click.option("--families", default="", help="Comma-separated families (default: all).")
@click.option("--errors", is_flag=True, help="List missed and extra headlines.")
def score_command(families: str, errors: bool) -> None:
    """Score the shipped model on the labelled documents."""
    docs = load([f for f in families.split(",") if f] or None)
    click.echo(report(score(docs)))
    if errors:
        _print_errors(docs, default_model())


def _print_errors(docs: list[Labelled], model: Model) -> None:
    for doc in docs:
        predicted = [_norm(a.title) for a in split_document(doc.text, model).articles]
        for title in doc.titles:
            if title not in predicted:
                click.echo(f"MISS {doc.family}/{doc.name}: {title}")
        for title in predicted:
            if title not in doc.titles:
                click.echo(f"EXTRA {doc.family}/{doc.name}: {title[:120]}")


@main.command("train")
@click.option("--families", default=",".join(DESIGN), show_default=True)
@click.option("--c", "c", default=1.0, show_default=True, help="Inverse regularisation.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the model here.")
@click.option("--score-all", is_flag=True, help="Score every family with the new model.")
def train_command(families: str, c: float, out: Path | None, score_all: bool) -> None:
    """Train the model on some families; optionally score it on all of them."""
    model = train(load(families.split(",")), c=c)
    if out:
        data = {**model.to_dict(), "trained_on": families.split(",")}
        out.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        click.echo(f"wrote {out}")
    if score_all:
        click.echo(report(score(load(), model)))
    top = sorted(model.second.weights.items(), key=lambda kv: -abs(kv[1]))[:15]
    click.echo("strongest evidence: " + ", ".join(f"{k} {v:+.2f}" for k, v in top))


@main.command("crossval")
@click.option("--families", default="", help="Comma-separated families (default: all).")
@click.option("--c", "c", default=1.0, show_default=True, help="Inverse regularisation.")
@click.option("--errors", is_flag=True, help="List missed and extra headlines.")
@click.option("--threshold", default=0.5, show_default=True)
def crossval_command(families: str, c: float, errors: bool, threshold: float) -> None:
    """Leave one family out: train on the others, score on it; every family in turn."""
    docs = load([f for f in families.split(",") if f] or None)
    totals = {}
    for family in sorted({d.family for d in docs}):
        model = train([d for d in docs if d.family != family], c=c, threshold=threshold)
        held = [d for d in docs if d.family == family]
        totals.update(score(held, model))
        if errors:
            _print_errors(held, model)
    click.echo(report(totals))


if __name__ == "__main__":
    main()


__all__ = ["default_model", "load", "matched", "score", "train"]
