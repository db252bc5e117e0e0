"""`reprints dedup`: exact, near-duplicate and contained copies, repeats, outputs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reprints.cli import main
from reprints.dedup import (
    CONTAINED,
    EXACT,
    KEPT,
    NEAR,
    REMOVED,
    SKIPPED,
    DedupOptions,
    dedup,
    repeat_cuts,
)
from reprints.documents import Document, Repeat
from reprints.fingerprint import ngram_hashes
from reprints.minhash import candidate_probability
from reprints.synthetic import TextGenerator
from reprints.text import Tokenizer
from tests.conftest import NEWS_PAGE, REPOST

ONE = DedupOptions(workers=1)


def true_jaccard(a: str, b: str, n: int = 5) -> float:
    tokenizer = Tokenizer()
    sa = set(ngram_hashes(tokenizer.hashes(a), n).tolist())
    sb = set(ngram_hashes(tokenizer.hashes(b), n).tolist())
    return len(sa & sb) / len(sa | sb)


def run(docs: list[Document], options: DedupOptions = ONE) -> tuple[list[str], dict[str, Any]]:
    """Kept ids and removals by id (as dicts) of a dedup run."""
    with dedup(docs, options) as result:
        return result.kept_ids, {r.id: r.to_json() for r in result.removed}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def gen() -> TextGenerator:
    return TextGenerator(7)


# --- exact -----------------------------------------------------------------------------


def test_exact_copies_are_removed_naming_the_first(gen: TextGenerator) -> None:
    text = gen.article(200)
    docs = [Document("a", text), Document("b", gen.article(200)), Document("c", text)]
    kept, removed = run(docs)
    assert kept == ["a", "b"]
    assert removed == {"c": {"id": "c", "kept": "a", "reason": EXACT, "score": 1.0}}


def test_whitespace_case_and_quote_variants_are_exact_copies() -> None:
    text = 'He said "the deal is done" - and it\'s final.\nWe will see, said the other man today.'
    variant = (
        "HE  SAID “the Deal is done” — and it’s final.   We will see,\n\nsaid the other MAN today."
    )
    kept, removed = run([Document("a", text), Document("b", variant)])
    assert kept == ["a"]
    assert removed["b"]["reason"] == EXACT


def test_one_word_more_is_not_an_exact_copy(gen: TextGenerator) -> None:
    text = gen.article(300)
    _, removed = run([Document("a", text), Document("b", text + " Extra")])
    assert removed["b"]["reason"] == NEAR


# --- near-duplicates -------------------------------------------------------------------


def test_edited_copy_is_a_near_duplicate_scored_by_its_true_jaccard(gen: TextGenerator) -> None:
    text = gen.article(500)
    copy = gen.edit(text, 0.01)
    other = gen.article(500)
    kept, removed = run([Document("a", text), Document("b", other), Document("c", copy)])
    assert kept == ["a", "b"]
    assert removed["c"]["reason"] == NEAR and removed["c"]["kept"] == "a"
    assert removed["c"]["score"] == pytest.approx(true_jaccard(text, copy), abs=1e-4)
    assert removed["c"]["score"] >= 0.8


def test_pairs_below_the_threshold_stay(gen: TextGenerator) -> None:
    text = gen.article(500)
    far = gen.edit(text, 0.2)  # about a fifth of the words changed: Jaccard well below 0.8
    assert true_jaccard(text, far) < 0.6
    kept, removed = run([Document("a", text), Document("b", far)])
    assert kept == ["a", "b"] and not removed


def test_verification_keeps_precision_when_the_threshold_is_between(gen: TextGenerator) -> None:
    # Copies either side of the threshold: verified, only those at or above it go.
    text = gen.article(600)
    docs = [Document("a-orig", text)]  # first by id: the one kept
    scores = {}
    for k, rate in enumerate([0.005, 0.01, 0.03, 0.05, 0.08, 0.12]):
        copy = gen.edit(text, rate)
        docs.append(Document(f"c{k}", copy))
        scores[f"c{k}"] = true_jaccard(text, copy)
    _, removed = run(docs, DedupOptions(workers=1, threshold=0.7))
    for doc_id, score in scores.items():
        if score >= 0.75:
            assert doc_id in removed, (doc_id, score)
        if doc_id in removed:
            assert removed[doc_id]["score"] >= 0.7 or removed[doc_id]["kept"] != "a-orig"


def test_no_verify_trusts_the_signatures(gen: TextGenerator) -> None:
    text = gen.article(400)
    docs = [
        Document("a", text),
        Document("b", gen.edit(text, 0.01)),
        Document("c", gen.article(400)),
    ]
    kept, removed = run(docs, DedupOptions(workers=1, verify=False))
    assert kept == ["a", "c"]
    assert removed["b"]["reason"] == NEAR
    assert abs(removed["b"]["score"] - true_jaccard(docs[0].text, docs[1].text)) < 0.15


def test_band_choice_meets_its_threshold() -> None:
    for threshold in (0.6, 0.7, 0.8, 0.9):
        bands, rows = DedupOptions(threshold=threshold).bands_rows()
        assert bands * rows <= 128
        # A pair at the threshold becomes a candidate with high probability; a pair
        # far below it rarely does (each false candidate costs one verification).
        assert candidate_probability(threshold, bands, rows) >= 0.95
        assert candidate_probability(threshold / 2, bands, rows) <= 0.35
    assert DedupOptions(verify=False).bands_rows() == (9, 13)


# --- keep policies ---------------------------------------------------------------------


def test_keep_longest_and_keep_by_field(gen: TextGenerator) -> None:
    text = gen.article(400)
    longer = text + "\n\n" + gen.sentence(12)
    docs = [
        Document("short", text, {"date": "2021-05-01"}),
        Document("long", longer, {"date": "2020-01-01"}),
        Document("nodate", text + " " + gen.sentence(5)),
    ]
    kept, removed = run(docs, DedupOptions(workers=1, keep="longest"))
    assert kept == ["long"]
    kept, removed = run(docs, DedupOptions(workers=1, keep="date"))
    assert kept == ["long"]  # the earliest date; a document without one comes last
    assert {r["kept"] for r in removed.values()} == {"long"}
    kept, _ = run(docs, DedupOptions(workers=1, keep="first"))
    assert kept == ["long"]  # "first" is the smallest id, whatever the read order


# --- the seeds -------------------------------------------------------------------------


def seeds(seeds_dir: Path) -> list[Document]:
    return [Document(p.name, p.read_text(encoding="utf-8")) for p in sorted(seeds_dir.iterdir())]


def test_seeds_are_not_near_duplicates(seeds_dir: Path) -> None:
    kept, removed = run(seeds(seeds_dir))
    assert kept == [NEWS_PAGE, REPOST] and not removed


def test_seeds_repost_is_removed_as_contained(seeds_dir: Path) -> None:
    kept, removed = run(seeds(seeds_dir), DedupOptions(workers=1, containment=0.8))
    assert kept == [NEWS_PAGE]
    assert removed[REPOST]["reason"] == CONTAINED
    assert removed[REPOST]["kept"] == NEWS_PAGE
    assert removed[REPOST]["score"] >= 0.8
    # With the bar above the repost's real containment, it stays.
    kept, removed = run(seeds(seeds_dir), DedupOptions(workers=1, containment=0.99))
    assert kept == [NEWS_PAGE, REPOST]


def article_paragraphs(repost: str) -> list[str]:
    return [line for line in repost.splitlines() if len(line) > 200][:4]


def test_seeds_repost_keeps_its_paragraphs_once(seeds_dir: Path) -> None:
    docs = seeds(seeds_dir)
    with dedup(docs, DedupOptions(workers=1, drop_repeats=True)) as result:
        written = {d.id: d.text for d in result.kept_documents()}
    repost = docs[1].text
    paragraphs = article_paragraphs(repost)
    assert len(paragraphs) == 4
    for paragraph in paragraphs:
        assert repost.count(paragraph) == 2
        assert written[REPOST].count(paragraph) == 1
    # The tail after the second copy (blog widgets) is not a repeat: it stays.
    assert written[REPOST].rstrip().endswith("<< Home")
    # The news page's teaser quotes the article's first sentence; the article is not cut.
    page = docs[0].text
    assert written[NEWS_PAGE] == page


def test_seeds_end_to_end_keep_only_the_article(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    options = ["--containment", "0.8", "--drop-repeats", "--drop-boilerplate", "--workers", "1"]
    code = main(["-q", "dedup", str(seeds_dir), *options, "-o", str(out)])
    assert code == 0
    records = read_jsonl(out)
    assert [r["id"] for r in records] == [NEWS_PAGE]
    text = records[0]["text"]
    page = (seeds_dir / NEWS_PAGE).read_text(encoding="utf-8")
    repost = (seeds_dir / REPOST).read_text(encoding="utf-8")
    for paragraph in article_paragraphs(repost):
        # The article's paragraphs as the page has them (the repost's first line differs).
        head = (
            paragraph[len("WASHINGTON — ") :] if paragraph.startswith("WASHINGTON") else paragraph
        )
        assert head[:150] in text
    last = [line for line in page.splitlines() if line.startswith("In 2011, the United States")]
    assert last and last[0] in text
    for tail in ("Latest news", "Must read", "You might also like", "Recommended to you"):
        assert tail in page and tail not in text
    assert read_jsonl(Path(f"{out}.removed.jsonl")) == [
        {
            "id": REPOST,
            "kept": NEWS_PAGE,
            "reason": CONTAINED,
            "score": pytest.approx(0.95, abs=0.05),
        }
    ]
    summary = json.loads(Path(f"{out}.summary.json").read_text(encoding="utf-8"))
    assert summary["kept"] == 1 and summary["removed"] == {CONTAINED: 1}


def test_repeat_cuts_only_whole_lines_repeating_whole_lines() -> None:
    phrase = "Alpha beta gamma delta"
    lines = [f"Intro: {phrase}, more.", phrase, f"{phrase}."]
    text = "\n".join(lines)
    s2 = len(lines[0]) + 1
    s3 = s2 + len(phrase) + 1
    whole = Repeat(s2, s2 + len(phrase), s3, s3 + len(phrase), 4)
    partial = Repeat(7, 7 + len(phrase), s2, s2 + len(phrase), 4)  # first copy inside a line
    assert text[partial.first_start : partial.first_end] == phrase
    cuts = repeat_cuts(text, [whole, partial])
    # The whole line goes, its closing period with it; the partial repeat stays.
    assert [(c.start, c.end) for c in cuts] == [(s3, len(text))]


# --- accounting, workers, outputs ------------------------------------------------------


def mixed_corpus(gen: TextGenerator) -> list[dict[str, Any]]:
    base = [gen.article(150) for _ in range(6)]
    records: list[dict[str, Any]] = []
    for k, text in enumerate(base):
        records.append({"id": f"o{k}", "text": text, "date": f"2020-0{k + 1}-01", "n": k})
        if k % 2 == 0:
            records.append({"id": f"x{k}", "text": text.upper(), "date": "2019-01-01", "n": 10 + k})
        if k % 3 == 0:
            records.append({"id": f"e{k}", "text": gen.edit(text, 0.01), "n": 20 + k})
    records.append({"id": "empty", "text": " ... !!! ", "n": 99})
    records.append({"id": "blank", "text": "", "n": 98})
    return records


@pytest.mark.parametrize("workers", [1, 2])
def test_every_input_id_is_accounted_for_exactly_once(
    gen: TextGenerator, tmp_path: Path, workers: int
) -> None:
    records = mixed_corpus(gen)
    corpus = write_jsonl(tmp_path / "in.jsonl", records)
    with (tmp_path / "in.jsonl").open("a", encoding="utf-8") as stream:
        stream.write("{not json\n")
    out = tmp_path / "out.jsonl"
    assert main(["-q", "dedup", str(corpus), "-o", str(out), "--workers", str(workers)]) == 0
    kept = [r["id"] for r in read_jsonl(out)]
    removed = [r["id"] for r in read_jsonl(Path(f"{out}.removed.jsonl"))]
    summary = json.loads(Path(f"{out}.summary.json").read_text(encoding="utf-8"))
    skipped = [s["id"] for s in summary["skipped_documents"]]
    everything = kept + removed + skipped
    # The reader skips the record with an empty text and the broken line (reporting
    # file, line and reason); dedup decides every document read.
    assert sorted(everything) == sorted(r["id"] for r in records if r["id"] != "blank")
    assert len(set(everything)) == len(everything)
    assert skipped == ["empty"]
    assert summary["input"]["skipped"] == {"empty document": 1, "malformed JSON": 1}
    assert summary["documents"] == len(records) - 1
    lines = len(records) + 1
    decided = summary["kept"] + summary["removed_total"] + summary["skipped_total"]
    assert decided + summary["input"]["skipped_total"] == lines
    # Kept records carry all their fields, unchanged.
    by_id = {r["id"]: r for r in records}
    for record in read_jsonl(out):
        assert record == by_id[record["id"]]


def test_output_does_not_depend_on_the_worker_count(gen: TextGenerator, tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(gen) * 1)
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}.jsonl"
        main(["-q", "dedup", str(corpus), "-o", str(out), "--workers", str(workers)])
        outputs.append((out.read_bytes(), Path(f"{out}.removed.jsonl").read_bytes()))
    assert outputs[0] == outputs[1]


def test_parquet_round_trip_keeps_other_columns(gen: TextGenerator, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    records = mixed_corpus(gen)
    corpus = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.parquet"
    assert main(["-q", "dedup", str(corpus), "-o", str(out), "--workers", "1"]) == 0
    table = pq.read_table(out)
    rows = table.to_pylist()
    by_id = {r["id"]: r for r in records}
    columns = {key for row in rows for key in by_id[row["id"]]}
    assert set(table.column_names) == columns
    assert rows and all(r["id"] in by_id for r in rows)
    for row in rows:
        original = by_id[row["id"]]
        assert row["text"] == original["text"] and row["n"] == original["n"]
        assert row["date"] == original.get("date")  # null where the record had none
    # And read back as input: the same documents, nothing removed.
    again = tmp_path / "again.jsonl"
    assert main(["-q", "dedup", str(out), "-o", str(again), "--workers", "1"]) == 0
    assert [r["id"] for r in read_jsonl(again)] == [r["id"] for r in rows]


def test_gzip_output(gen: TextGenerator, tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(gen))
    out = tmp_path / "out.jsonl.gz"
    assert main(["-q", "dedup", str(corpus), "-o", str(out), "--workers", "1"]) == 0
    with gzip.open(out, "rt", encoding="utf-8") as stream:
        ids = [json.loads(line)["id"] for line in stream]
    plain = tmp_path / "out.jsonl"
    main(["-q", "dedup", str(corpus), "-o", str(plain), "--workers", "1"])
    assert ids == [r["id"] for r in read_jsonl(plain)]


def test_status_array_matches_the_logs(gen: TextGenerator) -> None:
    records = mixed_corpus(gen)
    docs = [Document(r["id"], r["text"]) for r in records]
    with dedup(docs, ONE) as result:
        status = dict(zip(result.ids, result.status.tolist(), strict=True))
        assert {i for i, s in status.items() if s == KEPT} == set(result.kept_ids)
        assert {i for i, s in status.items() if s == REMOVED} == {r.id for r in result.removed}
        assert {i for i, s in status.items() if s == SKIPPED} == {i for i, _ in result.skipped}
        # Every removed document names a kept one.
        assert all(status[r.kept] == KEPT for r in result.removed)


def test_bad_output_suffix_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["-q", "dedup", str(tmp_path), "-o", str(tmp_path / "out.csv")])


def test_empty_input(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "in.jsonl", [])
    out = tmp_path / "out.jsonl"
    assert main(["-q", "dedup", str(corpus), "-o", str(out), "--workers", "1"]) == 0
    assert out.read_text() == "" and Path(f"{out}.removed.jsonl").read_text() == ""
    assert np.isscalar(json.loads(Path(f"{out}.summary.json").read_text())["kept"])


def test_drop_boilerplate_cuts_lines_repeated_across_a_corpus_without_urls(
    gen: TextGenerator, tmp_path: Path
) -> None:
    disclaimer = "This article may not be republished without the written consent of its authors."
    records = [{"id": f"d{k}", "text": f"{gen.article(80)}\n{disclaimer}"} for k in range(6)]
    out = tmp_path / "kept.jsonl"
    args = ["-q", "dedup", str(write_jsonl(tmp_path / "in.jsonl", records)), "-o", str(out)]
    assert main([*args, "--drop-boilerplate", "--max-df", "4", "--workers", "1"]) == 0
    kept = read_jsonl(out)
    assert len(kept) == 6 and all(disclaimer not in r["text"] for r in kept)
    assert main([*args, "--drop-boilerplate", "--max-df", "6", "--workers", "1"]) == 0
    assert all(disclaimer in r["text"] for r in read_jsonl(out))  # in 6 documents, not > 6


# --- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--threshold", "0"),
        ("--threshold", "1"),
        ("--threshold", "nan"),
        ("--num-perm", "0"),
        ("--ngram", "0"),
        ("--containment", "0"),
        ("--containment", "1.5"),
        ("--max-df", "0"),
        ("--min-tokens", "0"),
        ("--seed", "-1"),
        ("--workers", "-1"),
    ],
)
def test_every_impossible_number_is_one_line_naming_its_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    corpus = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "some words here"}])
    out = tmp_path / "out.jsonl"
    assert main(["-q", "dedup", str(corpus), "-o", str(out), flag, value]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reprints: error: {flag} must be ") and err.count("\n") == 1
    assert "Traceback" not in err and not out.exists()


def test_max_chars_below_one_is_a_usage_error_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A reading option, checked in the one validation path like every other option.
    out = tmp_path / "o.jsonl"
    assert main(["-q", "dedup", str(tmp_path), "-o", str(out), "--max-chars", "0"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "reprints: error: --max-chars must be at least 1 (got 0)"


def test_options_built_in_code_are_checked_too() -> None:
    from reprints.options import OptionsError

    with pytest.raises(OptionsError, match=r"--num-perm must be at least 1 \(got 0\)"):
        DedupOptions(num_perm=0)
    with pytest.raises(OptionsError, match="--batch-size"):
        DedupOptions(batch_size=0)


def test_two_runs_in_two_threads_give_what_they_give_one_after_the_other(
    gen: TextGenerator,
) -> None:
    # No module-level state: each run's workers and spool files are its own.
    from concurrent.futures import ThreadPoolExecutor

    corpora = [
        [Document(r["id"], r["text"]) for r in mixed_corpus(gen)],
        [Document(r["id"], r["text"].lower()) for r in mixed_corpus(gen)],
    ]
    options = [ONE, DedupOptions(workers=2, containment=0.8, drop_repeats=True)]
    alone = [run(docs, o) for docs, o in zip(corpora, options, strict=True)]
    with ThreadPoolExecutor(2) as threads:
        together = list(threads.map(run, corpora, options))
    assert together == alone


def test_ids_keep_their_json_type_and_exact_value(tmp_path: Path) -> None:
    big = 123456789012345678901234567890
    lines = [
        '{"id": 7, "text": "the first text has several words in it"}',
        f'{{"id": {big}, "text": "another text with other words entirely"}}',
        '{"id": "s", "text": "a third one, written with a string id"}',
    ]
    corpus = tmp_path / "in.jsonl"
    corpus.write_text("\n".join(lines) + "\n")
    out = tmp_path / "kept.jsonl"
    assert main(["-q", "dedup", str(corpus), "-o", str(out), "--drop-boilerplate"]) == 0
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == [7, big, "s"]


@pytest.mark.parametrize("keep", ["first", "longest", "date"])
def test_kept_documents_do_not_depend_on_the_input_order(tmp_path: Path, keep: str) -> None:
    from reprints.synthetic import TextGenerator

    gen = TextGenerator(3)
    records = []
    for family in range(40):
        text = gen.article(120)
        for copy in range(4):
            variant = text if copy % 2 == 0 else gen.edit(text, 0.02)
            records.append({"id": f"f{family}c{copy}", "text": variant, "date": "2020"})
    kept = []
    for seed in (1, 2):
        order = np.random.default_rng(seed).permutation(len(records))
        corpus = tmp_path / f"in{seed}.jsonl"
        corpus.write_text("".join(json.dumps(records[k]) + "\n" for k in order))
        out = tmp_path / f"kept{seed}.jsonl"
        assert main(["-q", "dedup", str(corpus), "-o", str(out), "--keep", keep]) == 0
        kept.append(sorted(json.loads(line)["id"] for line in out.read_text().splitlines()))
    assert kept[0] == kept[1]
    assert len(kept[0]) < len(records)
