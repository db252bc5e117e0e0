"""The settings of a dedup run, their one validation, and the LSH band policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reprints.minhash import optimal_params
from reprints.options import check

KEEP_POLICIES = ("first", "longest")  # anything else names a metadata field

# With verification on, a false candidate costs one exact Jaccard (a few µs) while a
# missed pair is lost for good, so the bands are chosen with false negatives weighted
# 49 to 1: at 0.8 and 128 permutations, 17 bands of 7 rows, which make a candidate of
# 98% of the pairs at the threshold (16 x 8, at 19 to 1: 95%).
VERIFY_WEIGHTS = (0.02, 0.98)
PLAIN_WEIGHTS = (0.5, 0.5)


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """Settings of `reprints dedup` (see :mod:`reprints.dedup` for the stages).

    Checked when built: a setting that cannot work raises
    :class:`reprints.options.OptionsError` naming its command-line flag.
    """

    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    verify: bool = True
    containment: float | None = None
    drop_repeats: bool = False
    drop_boilerplate: bool = False
    max_df: int = 100
    min_tokens: int = 20  # shortest passage the find engine reports (containment, repeats)
    keep: str = "first"
    workers: int = 0  # 0 = all cores
    seed: int = 1
    batch_size: int = 256
    id_field: str = "id"
    text_field: str = "text"

    def __post_init__(self) -> None:
        c = self.containment
        check(
            [
                ("threshold", self.threshold, 0.0 < self.threshold < 1.0, "above 0 and below 1"),
                ("num_perm", self.num_perm, self.num_perm >= 1, "at least 1"),
                ("ngram", self.ngram, self.ngram >= 1, "at least 1"),
                ("containment", c, c is None or 0.0 < c <= 1.0, "above 0 and at most 1"),
                ("max_df", self.max_df, self.max_df >= 1, "at least 1"),
                ("min_tokens", self.min_tokens, self.min_tokens >= 1, "at least 1"),
                ("keep", self.keep, bool(self.keep), "first, longest or a field name"),
                ("workers", self.workers, self.workers >= 0, "0 (all cores) or more"),
                ("seed", self.seed, self.seed >= 0, "0 or more"),
                ("batch_size", self.batch_size, self.batch_size >= 1, "at least 1"),
            ]
        )

    def bands_rows(self) -> tuple[int, int]:
        """LSH bands and rows for the threshold: false negatives weigh more when every
        candidate is verified (see :data:`VERIFY_WEIGHTS`)."""
        weights = VERIFY_WEIGHTS if self.verify else PLAIN_WEIGHTS
        return optimal_params(self.threshold, self.num_perm, *weights)

    @property
    def keeps_by_field(self) -> bool:
        """Whether the keep policy reads a metadata field of every document."""
        return self.keep not in KEEP_POLICIES

    def to_json(self) -> dict[str, Any]:
        """The settings that decide the result, as the run summary records them."""
        return {
            "threshold": self.threshold,
            "num_perm": self.num_perm,
            "ngram": self.ngram,
            "verify": self.verify,
            "containment": self.containment,
            "drop_repeats": self.drop_repeats,
            "drop_boilerplate": self.drop_boilerplate,
            "max_df": self.max_df,
            "keep": self.keep,
            "seed": self.seed,
        }
