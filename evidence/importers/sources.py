"""Source files: stream a file, folder or zip as (locator, bytes) and sniff its format.

Format detection looks at content, never only at the suffix: registries and
PubMed both serve `.xml`, and people rename downloads. Members of folders and
zips are read one at a time, so a zip of 100,000 studies needs one study's memory.
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from evidence.errors import SourceFormatError

FORMATS = ("ctgov", "ctgov-xml", "pubmed", "abstract", "record")
MAX_SOURCE_BYTES = 64 * 1024 * 1024  # one ClinicalTrials.gov study is at most a few MB
SNIFF_BYTES = 64 * 1024
# Suffixes of members of a folder or zip that can hold a source; README.md,
# SOURCES.md, images and the like are not sources and are skipped.
SOURCE_SUFFIXES = frozenset({".json", ".xml", ".yaml", ".yml", ".txt"})

_XML_ROOT = re.compile(r"<(?![?!])([A-Za-z_][\w.:-]*)")
_XML_PROLOG = re.compile(r"\A(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.DOTALL)
_RECORD_MARK = re.compile(r"""^format:\s*["']?evidence-record/|"format"\s*:\s*"evidence-record/""",
                          re.MULTILINE)
_YAML_TRIAL = re.compile(r"^trial:\s*$", re.MULTILINE)


def decode_text(locator: str, data: bytes, *, final: bool = True) -> str:
    """UTF-8 text of a source, refusing empty, binary and non-UTF-8 data with a clear message."""
    if not data.strip():
        raise SourceFormatError("file is empty", file=locator)
    if b"\x00" in data:
        offset = data.index(0)
        raise SourceFormatError(f"binary data, not a text source (NUL byte at offset {offset})",
                                file=locator)
    # An incremental decoder lets a sniffed prefix end inside a multi-byte character.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        return decoder.decode(data, final=final)
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"not UTF-8 text (invalid byte at offset {exc.start})",
                                file=locator) from None


def sniff(locator: str, data: bytes) -> str:
    """The format of one source's content (see FORMATS); `data` may be a prefix.

    A prefix of exactly SNIFF_BYTES may end inside a multi-byte character, so it is
    decoded as unfinished; the full decode at import time still checks the end.
    """
    text = decode_text(locator, data[:SNIFF_BYTES], final=len(data) < SNIFF_BYTES).lstrip()
    if text.startswith("<"):
        prolog = _XML_PROLOG.match(text)
        body = text[prolog.end():] if prolog else text
        root = _XML_ROOT.match(body)
        if root is None:
            raise SourceFormatError("XML without a root element (truncated file?)", file=locator)
        name = root.group(1)
        if name == "clinical_study":
            return "ctgov-xml"
        if name in ("PubmedArticleSet", "PubmedArticle", "PubmedBookArticle"):
            return "pubmed"
        raise SourceFormatError(
            f"XML with root <{name}>: neither ClinicalTrials.gov <clinical_study> nor PubMed "
            "<PubmedArticleSet>", file=locator)
    if text.startswith(("{", "[")):
        if _RECORD_MARK.search(text):
            return "record"
        if '"protocolSection"' in text or '"studies"' in text:
            return "ctgov"
        if '"trial"' in text:
            return "record"
        raise SourceFormatError(
            "JSON that is neither a ClinicalTrials.gov study (no 'protocolSection' or "
            "'studies') nor an evidence record (no 'trial')", file=locator)
    if _RECORD_MARK.search(text) or _YAML_TRIAL.search(text):
        return "record"
    suffix = Path(locator.split("#", 1)[0]).suffix.lower()
    if suffix == ".json":
        raise SourceFormatError("not valid JSON (it does not start with '{' or '[')", file=locator)
    if suffix in (".yaml", ".yml"):
        raise SourceFormatError("YAML that is not an evidence record (no top-level 'trial')",
                                file=locator)
    return "abstract"


SNIFF_FILES = 1_000  # files of a folder or zip whose content decides its format


def detect_format(path: Path) -> str:
    """The format of a file, folder or zip: one of FORMATS, from content not suffix."""
    if not path.is_dir():
        head = _read_unless_zip(path, head=SNIFF_BYTES)
        if head is not None:
            return sniff(str(path), head)
    # A folder or a zip. The first files decide: sniffing all 550,000 of a registry
    # download would be a second pass over it. A later file of another format fails on
    # its own at import.
    found: Counter[str] = Counter()
    for locator, data in itertools.islice(iter_files(path, head=SNIFF_BYTES), SNIFF_FILES):
        found[sniff(locator, data)] += 1
    if not found:
        raise SourceFormatError("no source files (.json, .xml, .yaml, .txt) inside",
                                file=str(path))
    if len(found) > 1:
        mixed = ", ".join(f"{fmt} ({n})" for fmt, n in found.most_common())
        raise SourceFormatError(f"mixed formats inside: {mixed}; import them separately",
                                file=str(path))
    return next(iter(found))


def iter_files(path: Path, *, head: int | None = None) -> Iterator[tuple[str, bytes]]:
    """(locator, bytes) of a file, a folder (recursive, sorted) or a zip, one at a time.

    `head` reads only that many bytes of each (for sniffing). Members of folders and
    zips whose suffix is not a source suffix, and hidden files, are skipped.
    """
    if path.is_dir():
        for member in _walk(path):
            if member.suffix.lower() in SOURCE_SUFFIXES:
                data = _read_unless_zip(member, head=head)
                if data is not None:
                    yield str(member), data
                    continue
            elif not _is_zip(member):
                continue
            yield from _iter_zip(member, head=head)
    else:
        data = _read_unless_zip(path, head=head)
        if data is None:
            yield from _iter_zip(path, head=head)
        else:
            yield str(path), data


def _walk(folder: Path) -> Iterator[Path]:
    """Files under a folder in sorted path order, hidden ones skipped, one folder at a time.

    Listing a folder of the whole registry (550,000 files) up front would hold every
    path in memory; this holds one folder's names at a time.
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
        # Symbolic links to folders are not followed: one can loop back up the tree.
        kinds = [(e, e.is_dir(follow_symlinks=False), e.is_file()) for e in entries]
    except OSError as exc:
        raise SourceFormatError(f"cannot read folder ({exc.strerror})", file=str(folder)) from None
    for entry, is_dir, is_file in kinds:
        if entry.name.startswith("."):
            continue
        if is_dir:
            yield from _walk(Path(entry.path))
        elif is_file:
            yield Path(entry.path)


_ZIP_MAGIC = b"PK\x03\x04"


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC
    except OSError as exc:
        raise SourceFormatError(f"cannot read file ({exc.strerror})", file=str(path)) from None


def _read_unless_zip(path: Path, *, head: int | None) -> bytes | None:
    """The file's bytes (the first `head` of them), or None for a zip archive.

    One open per file, and a read the size of the file: `read(MAX_SOURCE_BYTES)`
    allocates 64 MB for every 50 KB study, which made reading a folder of the
    registry three times slower than the reading itself.
    """
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(_ZIP_MAGIC))
            if magic == _ZIP_MAGIC:
                return None
            if head is not None:
                return magic + handle.read(max(0, head - len(magic)))
            info = os.fstat(handle.fileno())
            if info.st_size > MAX_SOURCE_BYTES:
                raise SourceFormatError(f"file is {info.st_size:,} bytes, over the "
                                        f"{MAX_SOURCE_BYTES:,}-byte limit", file=str(path))
            # A pipe has no size: read it up to the limit.
            size = info.st_size if stat.S_ISREG(info.st_mode) else MAX_SOURCE_BYTES
            return magic + handle.read(max(0, size - len(magic)))
    except OSError as exc:
        raise SourceFormatError(f"cannot read file ({exc.strerror})", file=str(path)) from None


def _iter_zip(path: Path, *, head: int | None) -> Iterator[tuple[str, bytes]]:
    """Members of a zip in the archive's own order, one at a time.

    Read front to back with stream-unzip rather than through the central directory:
    zipfile holds an entry object per member (about 570 bytes each, 310 MB for the
    550,000 studies of a registry download) before reading the first one.
    """
    import stream_unzip

    def blocks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                yield block

    locator = str(path)
    try:
        for raw_name, _size, chunks in stream_unzip.stream_unzip(blocks()):
            name = _member_name(raw_name)
            locator = f"{path}:{name}"
            if (name.endswith("/") or name.startswith("__MACOSX/")
                    or any(part.startswith(".") for part in name.split("/"))
                    or Path(name).suffix.lower() not in SOURCE_SUFFIXES):
                for _ in chunks:  # a streamed archive is read through every member
                    pass
                continue
            yield locator, _read_member(chunks, head, locator)
    except stream_unzip.UnzipError as exc:
        if locator == str(path):
            raise SourceFormatError(f"not a readable zip archive ({_why(exc)}; truncated "
                                    "download?)", file=str(path)) from None
        raise SourceFormatError(f"damaged zip member ({_why(exc)})", file=locator) from None
    except OSError as exc:
        raise SourceFormatError(f"cannot read zip archive ({exc.strerror})",
                                file=str(path)) from None


def _member_name(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")  # the zip format's own default, as zipfile reads it


_UNZIP_ERRORS = {  # stream-unzip's exceptions carry no message of their own
    "CRC32IntegrityError": "its CRC-32 does not match its data",
    "SizeIntegrityError": "its size does not match its data",
    "UncompressedSizeIntegrityError": "its size does not match its data",
    "CompressedSizeIntegrityError": "its compressed size does not match its data",
    "TruncatedDataError": "the archive ends inside it",
    "UnexpectedSignatureError": "not a zip record where one should be",
}


def _why(exc: Exception) -> str:
    name = type(exc).__name__
    return str(exc) or _UNZIP_ERRORS.get(name, name)


def _read_member(chunks: Iterator[bytes], head: int | None, locator: str) -> bytes:
    limit = head if head is not None else MAX_SOURCE_BYTES
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        if size < limit:
            parts.append(chunk)
        size += len(chunk)
    if head is None and size > MAX_SOURCE_BYTES:
        raise SourceFormatError(f"member is {size:,} bytes, over the {MAX_SOURCE_BYTES:,}-byte "
                                "limit", file=locator)
    return b"".join(parts)[:limit]
