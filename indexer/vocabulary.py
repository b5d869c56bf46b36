"""The rebuild's workers analyse each word of the corpus once between them.

Most words of a worker's share of the corpus are in the other shares too, and analysing a
new word (Morfeusz, the stemmer for unknown words, the glued-word test) costs ~80 us: at 5k
articles it was two fifths of each worker's time, spent twice on the words both had. So
before indexing, the workers swap their shares' vocabularies; each word is given to one of
the workers that have it (by its hash: the workers are forked, so their string hashes
agree), which analyses it and sends the result to the others that have it.
"""

from __future__ import annotations

from pathlib import Path

from indexer.corpus import CorpusError, decode_file, read_bytes
from search.analysis import adopt_word_analyses, text_words, word_analyses


class Mailbox:
    """A worker's inbox (a multiprocessing queue of (kind, sender, payload)): messages of
    one kind from every other worker, whatever order they arrive in."""

    def __init__(self, inbox, workers: int):
        self.inbox = inbox
        self.workers = workers
        self.early: list[tuple] = []

    def gather(self, kind: str) -> dict[int, object]:
        """The payload of every other worker's message of this kind, by sender."""
        found = {s: p for k, s, p in self.early if k == kind}
        self.early = [m for m in self.early if m[0] != kind]
        while len(found) < self.workers - 1:
            message = self.inbox.get()
            if message[0] == kind:
                found[message[1]] = message[2]
            else:
                self.early.append(message)
        return found


def share_words(me: int, inboxes: list, paths: list[Path]) -> int:
    """Analyse this worker's share of the words of every worker's files, send each analysis
    to the other workers that have the word, and adopt theirs; return how many words this
    worker analysed. Files that cannot be read are left to the indexing, which reports them."""
    workers = len(inboxes)
    if workers == 1:
        return 0
    texts = []
    for path in paths:
        try:
            texts.append(decode_file(read_bytes(path), path.name).text)
        except CorpusError:
            continue
    words = text_words(texts)
    del texts
    mailbox = Mailbox(inboxes[me], workers)
    for j, inbox in enumerate(inboxes):
        if j != me:
            inbox.put(("words", me, words))
    # A word whose hash picks this worker is this worker's whoever else has it: analysed
    # while the others' words are on their way (the wait was a tenth of this stage).
    done = word_analyses([word for word in words if hash(word) % workers == me])
    theirs = mailbox.gather("words")
    analyse: list[str] = []
    send: dict[int, list[str]] = {j: [] for j in theirs}
    for word in words:
        holders = [j for j in range(workers) if j == me or word in theirs[j]]
        if _owner(word, holders, workers) == me:
            if word not in done:
                analyse.append(word)
            for j in holders:
                if j != me:
                    send[j].append(word)
    del theirs
    done.update(word_analyses(analyse))
    for j, wanted in send.items():
        inboxes[j].put(("analyses", me, {word: done[word] for word in wanted}))
    for found in mailbox.gather("analyses").values():
        adopt_word_analyses(found)
    return len(done)


def _owner(word: str, holders: list[int], workers: int) -> int:
    """The worker that analyses a word: the one its hash picks among all workers if that
    one has it (so a worker knows these words are its own before hearing from the others),
    else the one its hash picks among those that have it."""
    picked = hash(word) % workers
    return picked if picked in holders else holders[hash(word) % len(holders)]
