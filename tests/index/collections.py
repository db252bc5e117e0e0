"""Generated collections with planted copies, for the index tests and the benchmark."""

from __future__ import annotations

from reprints.documents import Document
from reprints.synthetic import TextGenerator


def collection(seed: int, size: int, words: int = 120, vocabulary: int = 3_000) -> list[Document]:
    """``size`` documents: fresh articles, and copies of earlier ones (whole, edited
    lightly or densely, a part of one, or two glued together), so that pairs of every kind exist."""
    gen = TextGenerator(seed, vocabulary=vocabulary)
    docs: list[Document] = []
    for k in range(size):
        roll = gen.rng.random()
        if not docs or roll < 0.4:
            text = gen.article(words, paragraph_words=40)
        else:
            source = docs[int(gen.rng.integers(len(docs)))].text
            if roll < 0.55:
                text = source
            elif roll < 0.62:
                text = gen.edit(source, 0.05)
            elif roll < 0.7:  # dense edits: sentence seeds and keys, not n-gram chains
                text = gen.edit(source, 0.35)
            elif roll < 0.85:
                paragraphs = source.split("\n\n")
                text = "\n\n".join([*paragraphs[: max(1, len(paragraphs) // 2)], gen.paragraph(40)])
            else:
                other = docs[int(gen.rng.integers(len(docs)))].text
                text = source + "\n\n" + other
        docs.append(Document(f"d{seed}-{k:03d}", text))
    return docs
