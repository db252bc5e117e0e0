"""Documents to a Parquet dataset, so that any input the readers take can reach Spark.

The dataset is a folder of part files (``part-00000.parquet``, ...) with the columns
``id``, ``text`` and one column per metadata field, written in row groups bounded by
rows and by text size, so neither the writer nor a reader ever holds more than one
group. The folder appears only when complete (written beside it, then renamed).

Parquet's columns are typed and every row has every column, so two things cannot
survive the trip unchanged, and both are stated rather than hidden: a field a
document lacks is null in its row (a reader sees the field with a null value), and a
field whose values do not share one Arrow type across the collection (a number in one
document, a string in another) is stored as JSON text for every row, and named in
the result.

Documents are typed in two passes: each group is written as it comes to an Arrow
file in the run's scratch folder (its own types inferred), then the groups are cast to the one
schema of the collection and written to Parquet. Memory stays bounded by a group.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from reprints.documents import Document
from reprints.output import replace_folder
from reprints.readers import InputError
from reprints.scratch import scratch_folder

ID, TEXT = "id", "text"
GROUP_ROWS = 10_000
GROUP_TEXT_BYTES = 64 << 20  # a group closes at this much text even before GROUP_ROWS
GROUPS_PER_FILE = 64


@dataclass(frozen=True, slots=True)
class ParquetLayout:
    """How a dataset is cut: rows and text per row group, row groups per part file."""

    group_rows: int = GROUP_ROWS
    group_text_bytes: int = GROUP_TEXT_BYTES
    groups_per_file: int = GROUPS_PER_FILE


@dataclass(frozen=True, slots=True)
class ConvertResult:
    """What was written: documents, part files, row groups, the metadata columns and
    which of them hold JSON text because their values had no common type."""

    documents: int
    files: tuple[str, ...]
    row_groups: int
    fields: tuple[str, ...]
    json_fields: tuple[str, ...]


@dataclass
class _Spool:
    """Pass one: groups of documents as Arrow files, and every field's types."""

    folder: Path
    paths: list[Path] = field(default_factory=list)
    encoded: list[frozenset[str]] = field(default_factory=list)  # JSON text in each group
    types: dict[str, set[pa.DataType]] = field(default_factory=dict)
    untyped: set[str] = field(default_factory=set)  # values with no Arrow type at all
    documents: int = 0

    def add(self, group: list[Document]) -> None:
        table, encoded = _group_table(group, self.untyped)
        for name, column_type in zip(table.schema.names, table.schema.types, strict=True):
            if name not in (ID, TEXT):
                self.types.setdefault(name, set()).add(column_type)
        path = self.folder / f"group-{len(self.paths):06d}.arrow"
        with ipc.new_file(path, table.schema) as writer:
            writer.write_table(table)
        self.paths.append(path)
        self.encoded.append(encoded)
        self.documents += len(group)

    def schema(self) -> tuple[pa.Schema, set[str]]:
        """The collection's schema, and the fields stored as JSON text."""
        as_json = set(self.untyped)
        columns = [pa.field(ID, pa.large_string()), pa.field(TEXT, pa.large_string())]
        for name in sorted(self.types):
            kinds = {t for t in self.types[name] if t != pa.null()}
            if name in as_json or len(kinds) > 1:
                as_json.add(name)
                columns.append(pa.field(name, pa.large_string()))
            else:
                columns.append(pa.field(name, kinds.pop() if kinds else pa.null()))
        return pa.schema(columns), as_json


def write_parquet_documents(
    documents: Iterable[Document], out: Path, layout: ParquetLayout | None = None
) -> ConvertResult:
    """Write ``documents``, in their order, as a Parquet dataset folder ``out``,
    replacing any folder there once the new one is complete."""
    layout = layout or ParquetLayout()
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    with scratch_folder("convert") as scratch:
        spool = _Spool(Path(scratch))
        for group in _groups(documents, layout):
            spool.add(group)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        try:
            dataset = work / "dataset"
            result = _write_dataset(spool, dataset, layout)
            replace_folder(dataset, out, work / "previous")  # the old one: deleted with work
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return result


def _groups(documents: Iterable[Document], layout: ParquetLayout) -> Iterator[list[Document]]:
    """Documents in groups of at most ``group_rows``, closed early at ``group_text_bytes``."""
    group: list[Document] = []
    size = 0
    for doc in documents:
        for name in (ID, TEXT):
            if name in doc.meta:
                raise InputError(
                    f"{doc.id}: metadata field {name!r} would overwrite the {name} column"
                )
        group.append(doc)
        size += len(doc.text)
        if len(group) >= layout.group_rows or size >= layout.group_text_bytes:
            yield group
            group, size = [], 0
    if group:
        yield group


def _group_table(group: list[Document], untyped: set[str]) -> tuple[pa.Table, frozenset[str]]:
    """One group as a table with its own inferred types, and the fields it holds as
    JSON text: those Arrow cannot type (mixed kinds inside a group, integers past 64
    bits), found here or in an earlier group (``untyped``, which this adds to)."""
    names = sorted({name for doc in group for name in doc.meta})
    arrays = {
        ID: pa.array([doc.id for doc in group], pa.large_string()),
        TEXT: pa.array([doc.text for doc in group], pa.large_string()),
    }
    for name in names:
        values = [doc.meta.get(name) for doc in group]
        if name not in untyped:
            try:
                arrays[name] = pa.array(values)
                continue
            except (pa.ArrowException, OverflowError, TypeError, ValueError):
                untyped.add(name)
        arrays[name] = _json_array(values)
    return pa.table(arrays), frozenset(untyped.intersection(names))


def _json_array(values: list[Any]) -> pa.Array:
    return pa.array(
        [None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values],
        pa.large_string(),
    )


def _write_dataset(spool: _Spool, folder: Path, layout: ParquetLayout) -> ConvertResult:
    """Pass two: every group cast to the collection's schema, into part files of at
    most ``groups_per_file`` row groups (one empty part file for no documents)."""
    schema, as_json = spool.schema()
    folder.mkdir()
    groups = list(zip(spool.paths, spool.encoded, strict=True))
    per_file = layout.groups_per_file
    files: list[str] = []
    for start in range(0, max(len(groups), 1), per_file):
        files.append(f"part-{len(files):05d}.parquet")
        with pq.ParquetWriter(folder / files[-1], schema) as writer:
            for path, encoded in groups[start : start + per_file]:
                table = _conform(ipc.open_file(path).read_all(), schema, as_json - encoded)
                writer.write_table(table, row_group_size=table.num_rows)
    fields = tuple(name for name in schema.names if name not in (ID, TEXT))
    return ConvertResult(
        documents=spool.documents,
        files=tuple(files),
        row_groups=len(groups),
        fields=fields,
        json_fields=tuple(sorted(as_json)),
    )


def _conform(table: pa.Table, schema: pa.Schema, to_json: set[str]) -> pa.Table:
    """A group's table in the collection's schema: missing fields null, the fields in
    ``to_json`` (typed in this group, JSON text in the collection) encoded now."""
    columns = []
    for target in schema:
        if target.name not in table.schema.names:
            columns.append(pa.nulls(table.num_rows, target.type))
            continue
        column = table.column(target.name)
        if target.name in to_json:
            column = _json_array(column.to_pylist())
        columns.append(column.cast(target.type))
    return pa.Table.from_arrays(columns, schema=schema)
