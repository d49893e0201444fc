"""A user's own CSV table: bytes -> checked table -> Dataset, with a clear message for every bad file.

Limits, and why:
- MAX_BYTES 2 MB and MAX_ROWS 5,000: a small clinical table fits many times over, and every run on it stays well
  inside the compute guard on a shared 2-core server.
- MAX_COLUMNS 100: more features than a lecture can read in a table.
- MIN_ROWS 20: at the largest validation share (50 %) the training split still has 10 rows and the validation split
  at least one.
- MAX_CLASSES 20: more labels than that are rarely classes (an ID, a measurement); the message suggests regression.
Nothing here writes to disk or caches: the table lives only in the objects returned.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass

import numpy as np

from core.config import ConfigError
from core.data import Dataset

MAX_BYTES = 2_000_000
MAX_ROWS = 5_000
MAX_COLUMNS = 100
MIN_ROWS = 20
MAX_CLASSES = 20
TASKS = ("regression", "binary", "multiclass")
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?"})  # what spreadsheets write for "no value"
# File types that are not text, by their first bytes: zip (.xlsx, .docx), old Excel/Word, PNG, JPEG, GIF, PDF.
SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF")
ENCODINGS = ("utf-8-sig", "cp932")  # cp932 is the Shift_JIS that Japanese Excel writes
SEPARATORS = ",;\t"
SAMPLE = 65_536  # characters the separator is guessed from: the sniffer's time grows with its sample
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # control characters other than tab and line ends


class UploadError(ConfigError):
    """A bad upload, with a message in the language of the page."""

    topic = "upload.errors"


@dataclass(frozen=True, eq=False)
class UploadedTable:
    """A parsed table: column names and each column's values, numbers where a whole column reads as numbers."""

    name: str
    columns: tuple[str, ...]
    values: dict[str, list[str]]  # stripped cell texts, by column
    numbers: dict[str, np.ndarray]  # float64 (NaN = missing), only for columns that read as numbers

    @property
    def rows(self) -> int:
        """Number of data rows."""
        return len(self.values[self.columns[0]])

    def missing(self, column: str) -> int:
        """How many cells of `column` are empty or say "no value"."""
        return sum(value.lower() in MISSING for value in self.values[column])

    def suggest_task(self, target: str) -> str:
        """Two values -> binary, a few integer or text labels -> multiclass, other numbers -> regression."""
        labels = {value for value in self.values[target] if value.lower() not in MISSING}
        numbers = self.numbers.get(target)
        if len(labels) == 2:
            return "binary"
        if numbers is None:
            return "multiclass"
        known = numbers[np.isfinite(numbers)]
        if len(labels) <= 10 and np.all(known == np.round(known)):
            return "multiclass"
        return "regression"


def decode(data: bytes) -> str:
    """The text of `data`: UTF-8 (with or without BOM), UTF-16 with BOM, or Shift_JIS; refuses what is not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UploadError("undecodable") from None
    if data.startswith(SIGNATURES) or b"\x00" in data:
        raise UploadError("not_text")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if CONTROL.search(text):  # control characters: a binary file that happens to decode
            raise UploadError("not_text")
        return text
    raise UploadError("undecodable")


def separator(text: str) -> str:
    """The column separator of `text` (comma, semicolon or tab), guessed from its first lines."""
    sample = "\n".join(text[:SAMPLE].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        counts = {sep: sample.splitlines()[0].count(sep) for sep in SEPARATORS} if sample else {}
        return max(counts, key=counts.get, default=",")


def read_table(data: bytes, name: str) -> UploadedTable:
    """Parse an uploaded CSV (comma, semicolon or tab separated); raises UploadError with what is wrong."""
    if not data.strip():
        raise UploadError("empty")
    if len(data) > MAX_BYTES:
        raise UploadError("too_many_bytes", size=f"{len(data) / 1e6:.1f}", limit=MAX_BYTES // 1_000_000)
    text = decode(data)
    if not text.strip():  # after a byte order mark, only blank lines
        raise UploadError("empty")
    numbered = _rows(text, separator(text))
    if not numbered:
        raise UploadError("empty")
    header = numbered[0][1]
    if len(header) < 2:
        raise UploadError("one_column")
    if len(header) > MAX_COLUMNS:
        raise UploadError("too_many_columns", columns=len(header), limit=MAX_COLUMNS)
    if any(not column for column in header):
        raise UploadError("blank_column_name", position=header.index("") + 1)
    duplicates = tuple(sorted({column for column in header if header.count(column) > 1}))
    if duplicates:
        raise UploadError("duplicate_columns", columns=duplicates)
    body = numbered[1:]
    if not body:
        raise UploadError("header_only")
    for line, row in body:
        if len(row) != len(header):
            raise UploadError("ragged", line=line, cells=len(row), columns=len(header))
    values = {column: [row[j] for _, row in body] for j, column in enumerate(header)}
    numbers = {column: parsed for column in header if (parsed := _numbers(values[column])) is not None}
    return UploadedTable(name, tuple(header), values, numbers)


def _rows(text: str, sep: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells) of the rows that are not blank: the header and at most MAX_ROWS more.

    Reading stops past the limit; a cell over the csv module's limit (128 KB, usually a stray quote mark that opens a
    cell which never closes) is an UploadError naming its line."""
    reader = csv.reader(text.splitlines(), delimiter=sep)
    rows: list[tuple[int, list[str]]] = []
    start = 1  # the line the next row starts on (a quoted cell can span lines)
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):  # a blank line reads as []
                rows.append((start, [cell.strip() for cell in row]))
                if len(rows) > MAX_ROWS + 1:
                    raise UploadError("too_many_rows", limit=MAX_ROWS)
            start = reader.line_num + 1
    except csv.Error:
        raise UploadError("csv_error", line=start, limit=csv.field_size_limit() // 1024) from None
    return rows


def _numbers(cells: list[str]) -> np.ndarray | None:
    """The cells as float64 (NaN where missing), or None if any cell is not a number."""
    out = np.empty(len(cells))
    for i, cell in enumerate(cells):
        if cell.lower() in MISSING:
            out[i] = math.nan
            continue
        try:
            out[i] = float(cell)  # Python's float reads back exactly what was written
        except ValueError:
            return None
    return out


def text_features(table: UploadedTable, target: str) -> tuple[str, ...]:
    """Feature columns that are not numbers (they are left out of training, and named)."""
    return tuple(c for c in table.columns if c != target and c not in table.numbers)


def prepare(table: UploadedTable, target: str, task: str) -> Dataset:
    """The table as a Dataset: numeric features, `target` as the label; text feature columns are left out."""
    if target not in table.columns:
        raise UploadError("no_target", target=target)
    if task not in TASKS:
        raise UploadError("task", task=task, options=TASKS)
    features = tuple(c for c in table.columns if c != target and c in table.numbers)
    if not features:
        raise UploadError("no_features", target=target)
    used = (*features, target)
    missing = tuple(f"{c} ({n})" for c in used if (n := table.missing(c)))
    if missing:
        raise UploadError("missing", columns=missing)
    infinite = tuple(c for c in used if c in table.numbers and np.isinf(table.numbers[c]).any())
    if infinite:
        raise UploadError("infinite", columns=infinite)
    if table.rows < MIN_ROWS:
        raise UploadError("too_few_rows", rows=table.rows, limit=MIN_ROWS)
    x = np.column_stack([table.numbers[c] for c in features])
    y, classes = _labels(table, target, task)
    return Dataset(table.name, task, x, y, features, classes)


def _labels(table: UploadedTable, target: str, task: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Targets for `task`: numbers for regression, class indices 0..k-1 (and their labels) for classification."""
    numbers = table.numbers.get(target)
    cells = table.values[target]
    distinct = len(set(cells) if numbers is None else set(numbers.tolist()))
    if distinct < 2:
        raise UploadError("constant_target", target=target, value=cells[0])
    if task == "regression":
        if numbers is None:
            raise UploadError("target_not_numeric", target=target)
        return numbers, ()
    if task == "binary" and distinct != 2:
        raise UploadError("not_binary", target=target, count=distinct)
    if distinct > MAX_CLASSES:
        raise UploadError("too_many_classes", target=target, count=distinct, limit=MAX_CLASSES)
    # Numbers sort as numbers (0, 1 stay 0, 1); text labels alphabetically.
    keys = numbers.tolist() if numbers is not None else cells
    labels = sorted(set(keys))
    index = {label: i for i, label in enumerate(labels)}
    names = tuple(cells[keys.index(label)] for label in labels)  # each class as the file writes it
    return np.array([index[key] for key in keys]), names
