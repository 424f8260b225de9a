"""Which uploads count as documents: decided by their content, not only their name.

An evidence upload must be a PDF, an Office document (Word, Excel, PowerPoint, old or
new format, or OpenDocument) or an image (PNG, JPEG, GIF, WebP). The first bytes (and,
for zip-based formats, the archive's contents) say what a file really is; its name must
agree. Anything else is refused with a message that says what is accepted.
"""

from __future__ import annotations

import zipfile
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


def _sniff_zip(upload) -> str | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
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
    except (zipfile.BadZipFile, OSError, ValueError):
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
