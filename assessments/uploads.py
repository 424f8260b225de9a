"""Which uploads count as documents: decided by their content, not only their name.

An evidence upload must be a PDF, an Office document (Word, Excel, PowerPoint, old or
new format, or OpenDocument) or an image (PNG, JPEG, GIF, WebP). The first bytes (and,
for zip-based formats, the archive's contents) say what a file really is; its name must
agree. Anything else is refused with a message that says what is accepted.

Zip-based documents are archives, and an archive can be built to unpack to thousands of
times its size (a "zip bomb"): a 190 KiB file once made this check allocate 380 MiB.
So nothing here trusts an archive's sizes: its table of contents is measured before it
is parsed, its declared unpacked size is checked against the file's size, and the one
member we read (OpenDocument's `mimetype`) is read only up to a few hundred bytes.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import PurePath

ACCEPTED = "PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, GIF or WebP"

# Detected kind -> (content type, extensions that may carry it)
KINDS = {
    "pdf": ("application/pdf", {".pdf"}),
    "png": ("image/png", {".png"}),
    "jpeg": ("image/jpeg", {".jpg", ".jpeg"}),
    "gif": ("image/gif", {".gif"}),
    "webp": ("image/webp", {".webp"}),
    "ole": ("application/vnd.ms-office", {".doc", ".xls", ".ppt"}),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {".docx"}),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {".xlsx"}),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", {".pptx"}),
    "odt": ("application/vnd.oasis.opendocument.text", {".odt"}),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", {".ods"}),
    "odp": ("application/vnd.oasis.opendocument.presentation", {".odp"}),
}

# The longest OpenDocument mimetype is under 60 bytes; anything longer is not one.
MIMETYPE_MAX_BYTES = 256
# Python's zipfile holds every table-of-contents entry in memory (about six times the
# table's size on disk). A long board pack has a few hundred parts, a table of a few
# tens of KB; 1 MiB allows over 10,000 parts.
CENTRAL_DIRECTORY_MAX_BYTES = 1024 * 1024
# Office and OpenDocument files are mostly XML, which compresses 5 to 30 times; images
# inside them hardly compress. An archive declaring more than 100 times its size (and
# more than 64 MiB, so small odd files are never refused on the ratio alone), or more
# than 1 GiB in all, is built to overwhelm whatever opens it.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024

# What zipfile (and the decompressors under it) raise on damaged or unusual archives:
# an encrypted member is a RuntimeError, an unknown compression method NotImplementedError.
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zlib.error)

_END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"


class NotADocument(ValueError):
    pass


def _sniff(head: bytes, upload) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(upload)
    return None


def _central_directory_size(upload) -> int | None:
    """The size of the archive's table of contents, from its end record, without parsing it.

    None when there is no readable end record, or when the archive uses ZIP64 (needed only
    for over 65,535 parts or 4 GB, never by a document within the upload limit, and a way
    to declare a second, larger table that zipfile would believe instead).
    """
    # The end record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
    tail_length = min(upload.size, 22 + 65_535)
    upload.seek(upload.size - tail_length)
    tail = upload.read(tail_length)
    at = tail.rfind(_END_OF_CENTRAL_DIRECTORY)
    if at < 0 or len(tail) - at < 22:
        return None
    if at >= 20 and tail[at - 20 : at - 16] == _ZIP64_LOCATOR:
        return None
    return int.from_bytes(tail[at + 12 : at + 16], "little")


def _refuse_bomb(unpacked: int) -> None:
    raise NotADocument(
        f"This file is a compressed archive that would unpack to {unpacked / 1_048_576:,.0f} MB, "
        "far more than any document does, so it is refused. Upload the document itself, saved "
        "again from Word, Excel, PowerPoint or LibreOffice, or as a PDF."
    )


def _sniff_zip(upload) -> str | None:
    try:
        directory_size = _central_directory_size(upload)
        if directory_size is None or directory_size > CENTRAL_DIRECTORY_MAX_BYTES:
            return None
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            # Declared sizes can lie, but zipfile stops inflating a member at its declared
            # size, so a small declaration cannot hide a large member from the reads below.
            unpacked = sum(member.file_size for member in members)
            if unpacked > MAX_UNPACKED_BYTES or (unpacked > RATIO_FLOOR_BYTES and unpacked > MAX_RATIO * upload.size):
                _refuse_bomb(unpacked)
            names = {member.filename for member in members}
            if "mimetype" in names:
                # Read at most a little more than any real mimetype, never the whole member.
                with archive.open("mimetype") as member:
                    raw = member.read(MIMETYPE_MAX_BYTES + 1)
                if len(raw) > MIMETYPE_MAX_BYTES:
                    return None
                mimetype = raw.decode("ascii", "replace").strip()
                for kind in ("odt", "ods", "odp"):
                    if mimetype == KINDS[kind][0]:
                        return kind
                return None
            if "[Content_Types].xml" not in names:
                return None
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
            if any(n.startswith("ppt/") for n in names):
                return "pptx"
    except NotADocument:
        raise
    except _ZIP_ERRORS:
        return None
    finally:
        upload.seek(0)
    return None


def check_document(upload, *, max_bytes: int) -> str:
    """Return the content type of an acceptable document; raise NotADocument otherwise."""
    if upload.size > max_bytes:
        raise NotADocument(
            f"The file is {upload.size / 1_048_576:.1f} MB; the largest accepted is {max_bytes / 1_048_576:.0f} MB."
        )
    if upload.size == 0:
        raise NotADocument("The file is empty.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = _sniff(head, upload)
    if kind is None:
        raise NotADocument(f"This file is not a document we accept ({ACCEPTED}), whatever its name says.")
    content_type, extensions = KINDS[kind]
    suffix = PurePath(upload.name).suffix.lower()
    if suffix not in extensions:
        label = "an old-format Office" if kind == "ole" else f"a {kind.upper()}"
        raise NotADocument(
            f"The file's name ends in {suffix or 'nothing'} but its content is {label} file: "
            "rename it or upload the right file."
        )
    return content_type
