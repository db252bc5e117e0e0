"""The collections the Spark engine is held to the local one on, built once per run."""

from __future__ import annotations

from pathlib import Path

from reprints.convert import ParquetLayout, write_parquet_documents
from reprints.documents import Document
from reprints.readers import read_documents
from reprints.synthetic import TextGenerator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TEMPLATE_COPIES = 10_000
SITE_PAGES = 40


def generated(seed: int = 12, articles: int = 1_200) -> list[Document]:
    """Articles with planted copies (whole with edits, partial, exact), the first 40 on
    one site with a footer line (site boilerplate), a template in 10,000 short
    documents, and documents shorter than the n-gram."""
    gen = TextGenerator(seed)
    footer = gen.sentence(14)
    docs = []
    for i in range(articles):
        text, meta = gen.article(int(gen.rng.integers(60, 240))), {"n": i}
        if i < SITE_PAGES:
            text, meta = f"{text}\n\n{footer}", {"n": i, "url": f"https://news.example/{i}"}
        docs.append(Document(f"art-{i:05d}", text, meta))
    planted = []
    for i in range(0, articles, 6):
        source = docs[i]
        kind = (i // 6) % 3
        if kind == 0:
            text = gen.edit(source.text, 0.03)
        elif kind == 1:
            words = source.text.split(" ")
            text = gen.paragraph(40) + " " + " ".join(words[: len(words) // 2])
        else:
            text = source.text
        planted.append(Document(f"copy-{i:05d}", text, {"of": source.id}))
    template = gen.paragraph(45)
    copies = [
        Document(f"tpl-{i:05d}", f"{template}\n\n{gen.sentence(6)}") for i in range(TEMPLATE_COPIES)
    ]
    short = [Document(f"short-{i}", " ".join(gen.words_list(i % 4 + 1))) for i in range(12)]
    return docs + planted + copies + short


def small(seeds: Path | None) -> list[Document]:
    """The examples and (when present) the seeds."""
    inputs = [EXAMPLES] + ([seeds] if seeds is not None else [])
    return list(read_documents(inputs))


def as_parquet(documents: list[Document], out: Path) -> Path:
    """``documents`` as a Parquet dataset of several part files, as convert writes it."""
    write_parquet_documents(documents, out, ParquetLayout(group_rows=700, groups_per_file=3))
    return out


def dataset_text(folder: Path) -> str:
    """The lines of a Spark text dataset (a folder of part files, in order)."""
    return "".join(p.read_text() for p in sorted(folder.glob("part-*")))


COPIES_MAX_DF = 5


def with_copies(seed: int = 5, articles: int = 40) -> list[Document]:
    """A small collection for a ``max_df`` of :data:`COPIES_MAX_DF` that exercises every
    rule of exact copies: a group of more copies than ``max_df`` (a star; some in upper
    case), groups of 2 and 3 copies spelt differently (case) with an edited and a
    partial copy each (expanded pairs), one of them repeating a paragraph inside itself
    (expanded repeats), and a stock paragraph held by 2 other documents and a group of
    3 (capped for the collection, not between the group's copies); and a site's
    footer on 5 pages (boilerplate)."""
    gen = TextGenerator(seed)
    docs = [
        Document(f"art-{i:03d}", gen.article(int(gen.rng.integers(60, 160))))
        for i in range(articles)
    ]
    footer = gen.sentence(14)
    for i in range(1, 6):  # a site's footer line: boilerplate
        url = {"url": f"https://news.example/{i}"}
        docs[i] = Document(docs[i].id, f"{docs[i].text}\n\n{footer}", url)
    many = docs[0].text
    docs += [
        Document(f"many-{i:02d}", many.upper() if i % 3 == 0 else many)
        for i in range(COPIES_MAX_DF + 3)
    ]
    stock = gen.paragraph(40)
    docs += [Document(f"stock-{i}", f"{gen.paragraph(30)}\n\n{stock}") for i in range(2)]
    repeated = gen.paragraph(35)
    sources = {
        "two": f"{gen.article(90)}\n\n{repeated}\n\n{gen.paragraph(40)}\n\n{repeated}",
        "three": f"{gen.article(220)}\n\n{stock}",
    }
    for name, text in sources.items():
        count = 2 if name == "two" else 3
        docs += [Document(f"{name}-{i}", text.lower() if i == 1 else text) for i in range(count)]
        words = text.split(" ")
        docs.append(Document(f"{name}-edited", gen.edit(text, 0.03)))
        docs.append(Document(f"{name}-half", " ".join(words[len(words) // 2 :])))
    return docs
