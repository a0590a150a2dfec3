"""The input limits of innexport: how much of a file or a text any reader accepts, and the one
bounded way to decode text and parse JSON.

Every reader of a user's file (frameworks, modules, programme catalogues, survey mappings, answer
files, surveys) and every parser of a request body refuses an input beyond these limits *before*
the expensive work, with a message naming the file and, where known, the line, row or column.
Each limit is defined here once, with the reason for its value; the readers import it.

A refusal is an :class:`InputRefused` (a ``ValueError``). A reader that reports its problems in its
own error type (``FrameworkError``, ``CatalogueError``, ``AnswersError``, ``SurveyError``) raises
that error *while handling* the refusal, so :func:`refusal_in` still finds it: the command line
exits with 2 (unusable input) for a refusal, and with 1 only for a document that was read and
found invalid.

Sources:

* YAML amplification ("billion laughs"): YAML 1.2.2 §3.2.2.2 (anchors and aliases denote the
  *same* node, so a few bytes can stand for a huge tree); the same attack on XML is OWASP's
  "XML Entity Expansion" (OWASP Cheat Sheet Series, XML Security, 2024).
* Nesting depth: RFC 8259 §9 ("An implementation may set limits on … the maximum depth of
  nesting"); Python's own parsers recurse and fail with ``RecursionError`` near 1,000 levels.
* Zip bombs: D. Fifield, "A better zip bomb", USENIX WOOT 2019 (ratios above 1,000 with
  DEFLATE); an XLSX file is a zip archive of XML parts (ECMA-376 Part 2, Open Packaging
  Conventions), and ``zipfile`` yields at most the size the central directory declares.
* Byte-order marks: The Unicode Standard 15.0 §23.8 and RFC 8259 §8.1; the UTF-32 LE mark starts
  with the UTF-16 LE one, so it is tested first.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_EVIDENCE_BYTES",
    "MAX_NESTING_DEPTH",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_COLUMNS",
    "MAX_TABLE_ROWS",
    "MAX_YAML_ALIASES",
    "MAX_YAML_NODES",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_RATIO",
    "MAX_ZIP_UNCOMPRESSED",
    "InputRefused",
    "JsonError",
    "bom_encoding",
    "check_table_shape",
    "check_zip",
    "decode_text",
    "parse_json",
    "read_text",
    "refusal_in",
]

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
"""Largest YAML or JSON document (bytes of a file, characters of a text): 5 MiB.

The shipped framework is 190 kB and a YAML answer file of 1,000 firms about 2 MB; PyYAML's safe
loader reads about 1 MB a second, so the bound keeps one document to a few seconds of CPU.
(A character is at least one byte in every encoding read here, so a file within the bound gives
a text within it.)"""

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
"""Largest evidence file an advisor attaches to a reviewed answer (:mod:`innexport.web.evidence`):
10 MiB, room for a scanned page of accounts or a multi-page PDF certificate, while a few hundred
files of an organisation stay within a small disk or bucket."""

MAX_NESTING_DEPTH = 64
"""Deepest nesting of lists and mappings in a YAML or JSON document (and a JSON request body).

Every document of innexport is at most 6 levels deep; 64 leaves room for any honest file while
staying far below the recursion limit of Python's parsers and of the validation that follows."""

MAX_YAML_ALIASES = 100
"""Most aliases (``*name``) in one YAML document.

The shipped documents use none; an alias lets a few bytes stand for a whole subtree, which is how
a 840 kB catalogue of 120,000 aliases of one entry cost 33 s and 430 MB (issue 10)."""

MAX_YAML_NODES = 1_000_000
"""Most nodes of a YAML document once every alias is expanded (the cost seen by what reads the data).

The shipped framework has 3,500 nodes, a 1,000-firm answer file about 300,000; a document within
:data:`MAX_DOCUMENT_BYTES` has at most about this many without aliases. Nine levels of ten aliases
(under :data:`MAX_YAML_ALIASES`) would otherwise stand for 10**9 nodes."""

MAX_TABLE_BYTES = 100 * 1024 * 1024
"""Largest CSV or XLSX file (answers or survey): 100 MiB, about 5 times the largest national
innovation survey seen (ENDEI II, 4,000 firms × 600 variables, 20 MB as CSV); pandas needs about
ten times a CSV's size in memory."""

MAX_TABLE_COLUMNS = 5_000
"""Most columns of a CSV or XLSX table: surveys have a few hundred variables, answer tables one
column per question (under 200) and one per comment. Reading a table costs time per column
(a 200,000-column CSV of 1.9 MB ran past two minutes, issue 10)."""

MAX_TABLE_ROWS = 1_000_000
"""Most lines of a CSV file or rows of an XLSX sheet: a million firms is more than any survey or
portfolio of innexport."""

MAX_ZIP_MEMBERS = 2_000
"""Most members of an XLSX archive: a workbook has about ten parts plus three per sheet."""

MAX_ZIP_UNCOMPRESSED = 256 * 1024 * 1024
"""Largest total uncompressed size of an XLSX archive: 256 MiB, enough for a survey sheet of
2.5 million cells; openpyxl needs several times that in memory and about a minute per 100 MB
(a 3.9 MB XLSX expanding to 1.5 GB ran 66–84 s and needed more than 3 GB, issue 10)."""

MAX_ZIP_RATIO = 100
"""Highest compression ratio of an XLSX member larger than 1 MiB: spreadsheet XML compresses
5 to 30 times; DEFLATE can reach about 1,000 only on the repetitive data of a bomb."""

_ZIP_RATIO_FLOOR = 1024 * 1024
"""Members smaller than this are not checked for their ratio (a small part costs nothing)."""


class InputRefused(ValueError):
    """An input refused before it is read: beyond a limit, undecodable, or (JSON) not JSON.

    ``origin`` names the file (or the text), ``where`` the place in it (``line 3``, ``row 2``,
    ``byte 17``; empty when the whole input is at fault), ``problem`` what is wrong.

    >>> str(InputRefused("deep.json", "nested deeper than 64 levels", "line 1, column 65"))
    'deep.json, line 1, column 65: nested deeper than 64 levels'
    """

    def __init__(self, origin: str, problem: str, where: str = ""):
        self.origin, self.problem, self.where = origin, problem, where
        ValueError.__init__(self, f"{origin}{', ' + where if where else ''}: {problem}")


class JsonError(InputRefused):
    """A JSON text that is not JSON (``syntax`` true) or is beyond the limits; ``line`` and
    ``column`` are 1-based (None when the problem has no place, e.g. the size)."""

    def __init__(self, origin: str, problem: str, line: int | None = None, column: int | None = None,
                 syntax: bool = False):
        self.line, self.column, self.syntax = line, column, syntax
        where = f"line {line}" + (f", column {column}" if column is not None else "") if line is not None else ""
        super().__init__(origin, problem, where)


def refusal_in(exc: BaseException | None) -> InputRefused | None:
    """The :class:`InputRefused` that ``exc`` is, or that it was raised from or while handling.

    >>> try:
    ...     try:
    ...         raise InputRefused("f.yaml", "too big")
    ...     except InputRefused:
    ...         raise KeyError("wrapped") from None
    ... except KeyError as exc:
    ...     print(refusal_in(exc))
    f.yaml: too big
    >>> refusal_in(KeyError("x")) is None
    True
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, InputRefused):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


# --- text --------------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),  # before UTF-16: FF FE 00 00
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def bom_encoding(raw: bytes) -> tuple[bytes, str]:
    """The byte-order mark ``raw`` starts with and the encoding it names; ``(b"", "utf-8")`` without one.

    >>> bom_encoding(b"\\xff\\xfei\\x00"), bom_encoding(b"id")
    ((b'\\xff\\xfe', 'utf-16-le'), (b'', 'utf-8'))
    """
    return next(((b, c) for b, c in _BOMS if raw.startswith(b)), (b"", "utf-8"))


def decode_text(raw: bytes, origin: str, fallback: str | None = None) -> str:
    r"""The text of ``raw``: in the encoding its byte-order mark names (UTF-8, UTF-16 or UTF-32, LE
    or BE), else UTF-8, else ``fallback`` (e.g. ``"latin-1"`` for surveys exported by old tools).

    Refused (:class:`InputRefused`, naming ``origin`` and the byte offset): bytes that are not
    valid in the encoding, and a NUL character (a UTF-16 file without its mark reads as text full
    of NULs; no document or table of innexport has one).

    >>> decode_text(b"\xff\xfei\x00d\x00", "a.csv")
    'id'
    >>> decode_text(b"caf\xe9", "b.csv", fallback="latin-1")
    'café'
    >>> decode_text(b"caf\xe9!", "c.csv")
    Traceback (most recent call last):
    ...
    innexport.files.limits.InputRefused: c.csv, byte 3: not UTF-8 text (and no byte-order mark names another encoding)
    """
    bom, codec = bom_encoding(raw)
    try:
        text = raw[len(bom):].decode(codec)
    except UnicodeDecodeError as exc:
        if fallback is not None and not bom:
            try:
                text, codec = raw.decode(fallback), fallback
            except UnicodeDecodeError:
                raise InputRefused(origin, f"not UTF-8 text, nor {fallback}", f"byte {exc.start}") from None
        else:
            what = f"not {codec.upper()} text" + ("" if bom else " (and no byte-order mark names another encoding)")
            raise InputRefused(origin, what, f"byte {exc.start + len(bom)}") from None
    nul = text.find("\x00")
    if nul >= 0:
        offset = len(bom) + len(text[:nul].encode(codec))
        raise InputRefused(origin, "a NUL character: not a text file (or UTF-16 without its byte-order mark)",
                           f"byte {offset}")
    return text


def read_text(path: str | Path, max_bytes: int = MAX_DOCUMENT_BYTES, fallback: str | None = None) -> str:
    """The text of the file at ``path``, refused before reading when larger than ``max_bytes``,
    decoded by :func:`decode_text`. A missing or unreadable file raises ``OSError`` as ``open`` does.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("wb", suffix=".yaml", delete=False) as fh:
    ...     _ = fh.write(b"x" * 11)
    >>> try:
    ...     read_text(fh.name, max_bytes=10)
    ... except InputRefused as exc:
    ...     print(exc.problem)
    11 bytes: larger than the 10 bytes accepted
    >>> os.unlink(fh.name)
    """
    path = Path(path)
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise InputRefused(str(path), f"{size:,} bytes: larger than the {max_bytes:,} bytes accepted")
        raw = fh.read(max_bytes + 1)  # a file growing while read is bounded too
    if len(raw) > max_bytes:
        raise InputRefused(str(path), f"larger than the {max_bytes:,} bytes accepted")
    return decode_text(raw, str(path), fallback)


# --- JSON --------------------------------------------------------------------------------------

_JSON_SPECIAL = re.compile(r'[\[\]{}"\\]')


def parse_json(text: str | bytes, origin: str = "<text>", max_depth: int = MAX_NESTING_DEPTH,
               max_chars: int = MAX_DOCUMENT_BYTES) -> Any:
    r"""Parse a JSON document (a file's text or a request body), bounded in size and nesting depth.

    ``bytes`` are decoded by :func:`decode_text` (UTF-8, or the encoding a byte-order mark names).
    Refused with :class:`JsonError` (an :class:`InputRefused`, a ``ValueError``) naming ``origin``,
    the line and the column: a text longer than ``max_chars``, lists or objects nested deeper than
    ``max_depth`` (checked before parsing, so a body of 100,000 ``[`` costs one scan, never a
    ``RecursionError``), invalid JSON, and ``NaN``/``Infinity`` (not JSON, RFC 8259 §6).

    >>> parse_json('{"answers": {"q1": 3}}')
    {'answers': {'q1': 3}}
    >>> parse_json("[" * 100_000, "deep.json")
    Traceback (most recent call last):
    ...
    innexport.files.limits.JsonError: deep.json, line 1, column 65: lists or objects nested deeper than 64 levels
    >>> parse_json('{"a": 1,}', "body")
    Traceback (most recent call last):
    ...
    innexport.files.limits.JsonError: body, line 1, column 9: not JSON: Expecting property name enclosed in double quotes
    """
    if isinstance(text, bytes):
        if len(text) > max_chars:
            raise JsonError(origin, f"{len(text):,} bytes: larger than the {max_chars:,} accepted")
        try:
            text = decode_text(text, origin)
        except InputRefused as exc:
            raise JsonError(origin, f"{exc.problem}, at {exc.where}", syntax=True) from None
    if len(text) > max_chars:
        raise JsonError(origin, f"{len(text):,} characters: larger than the {max_chars:,} accepted")
    deep = _too_deep(text, max_depth)
    if deep is not None:
        line, column = _line_column(text, deep)
        raise JsonError(origin, f"lists or objects nested deeper than {max_depth} levels", line, column)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonError(origin, f"not JSON: {exc.msg}", exc.lineno, exc.colno, syntax=True) from None
    except _NotJson as exc:
        raise JsonError(origin, f"not JSON: {exc.args[0]} (RFC 8259 has no such number)", syntax=True) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise JsonError(origin, f"not JSON that can be read: {exc}", syntax=True) from None


class _NotJson(Exception):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(name)


def _too_deep(text: str, max_depth: int) -> int | None:
    """Offset of the first bracket opening level ``max_depth + 1`` outside strings, or None."""
    if text.count("[") + text.count("{") <= max_depth:
        return None  # the usual case: not even that many brackets
    depth, in_string, skip = 0, False, -1
    for m in _JSON_SPECIAL.finditer(text):
        pos = m.start()
        if pos == skip:
            continue
        char = m.group()
        if in_string:
            if char == "\\":
                skip = pos + 1  # the escaped character is not special
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return pos
        elif char in "]}":
            depth -= 1
    return None


def _line_column(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


# --- tables ------------------------------------------------------------------------------------


def check_table_shape(origin: str, rows: int | None = None, columns: int | None = None, where: str = "") -> None:
    """Refuse a table with more than :data:`MAX_TABLE_ROWS` rows or :data:`MAX_TABLE_COLUMNS`
    columns (either may be None: not known yet).

    >>> check_table_shape("wide.csv", columns=200_000, where="line 1")
    Traceback (most recent call last):
    ...
    innexport.files.limits.InputRefused: wide.csv, line 1: 200,000 columns: more than the 5,000 accepted
    """
    if columns is not None and columns > MAX_TABLE_COLUMNS:
        raise InputRefused(origin, f"{columns:,} columns: more than the {MAX_TABLE_COLUMNS:,} accepted", where)
    if rows is not None and rows > MAX_TABLE_ROWS:
        raise InputRefused(origin, f"{rows:,} rows: more than the {MAX_TABLE_ROWS:,} accepted", where)


_EOCD = struct.Struct("<4s4H2LH")
"""The end-of-central-directory record of a zip archive (APPNOTE.TXT 6.3.10, §4.3.16)."""


def check_zip(path: str | Path) -> None:
    """Refuse an XLSX (zip) file that is larger than :data:`MAX_TABLE_BYTES`, is not a zip archive,
    or declares more than :data:`MAX_ZIP_MEMBERS` members, more than :data:`MAX_ZIP_UNCOMPRESSED`
    bytes once uncompressed, or a member compressed more than :data:`MAX_ZIP_RATIO` times.

    Only the archive's directory is read (milliseconds, whatever it declares), so a bomb is refused
    before openpyxl inflates anything; ``zipfile`` never yields more than a member's declared size.

    >>> import tempfile, zipfile, os
    >>> with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as fh:
    ...     with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as z:
    ...         z.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 1_000_000)
    >>> try:
    ...     check_zip(fh.name)
    ... except InputRefused as exc:
    ...     print(exc.problem.split(" from ")[0], "...", exc.problem.split(": ")[-1])
    member xl/worksheets/sheet1.xml expands 6,000,000 bytes ... more than 100 times (a zip bomb?)
    >>> os.unlink(fh.name)
    """
    path = Path(path)
    origin = str(path)
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_TABLE_BYTES:
            raise InputRefused(origin, f"{size:,} bytes: larger than the {MAX_TABLE_BYTES:,} bytes accepted")
        tail_size = min(size, _EOCD.size + 0xFFFF)  # the record and a comment of at most 64 KiB
        fh.seek(size - tail_size)
        tail = fh.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise InputRefused(origin, "not a zip archive (as every XLSX file is)")
    declared = _EOCD.unpack_from(tail, at)[4]  # total number of entries in the central directory
    if declared != 0xFFFF and declared > MAX_ZIP_MEMBERS:  # 0xFFFF: a zip64 archive, counted below
        raise InputRefused(origin, f"{declared:,} archive members: more than the {MAX_ZIP_MEMBERS:,} accepted")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise InputRefused(origin, f"broken zip archive: {exc}") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputRefused(origin, f"{len(members):,} archive members: more than the {MAX_ZIP_MEMBERS:,} accepted")
    total = sum(m.file_size for m in members)
    if total > MAX_ZIP_UNCOMPRESSED:
        raise InputRefused(origin, f"expands to {total:,} bytes: more than the {MAX_ZIP_UNCOMPRESSED:,} accepted "
                                   f"(a zip bomb?)")
    for m in members:
        if m.file_size > _ZIP_RATIO_FLOOR and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1):
            raise InputRefused(origin, f"member {m.filename} expands {m.file_size:,} bytes from {m.compress_size:,}: "
                                       f"more than {MAX_ZIP_RATIO} times (a zip bomb?)")
