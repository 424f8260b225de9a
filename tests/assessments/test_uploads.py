"""The document check on evidence uploads: real documents pass, archives built to
overwhelm the server (zip bombs) are refused without being unpacked."""

import io
import tracemalloc
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase

from assessments.uploads import NotADocument, check_document

ODT = "application/vnd.oasis.opendocument.text"
LIMIT = 20 * 1024 * 1024


def odt_bytes(mimetype: bytes = ODT.encode(), *, compress=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=compress)
        archive.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def zip_with_long_member(name: str, megabytes: int, *, compress: int) -> bytes:
    """An archive whose one member is `megabytes` MiB of zeros, written a MiB at a time so
    that building it does not itself need the memory the check must not use."""
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buffer, "w", compression=compress) as archive:
        with archive.open(name, "w") as member:
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def peak_bytes_while(function) -> tuple[int, object]:
    """Run function(); return the most memory Python allocated meanwhile, and its outcome."""
    tracemalloc.start()
    try:
        try:
            outcome = function()
        except NotADocument as exc:
            outcome = exc
        return tracemalloc.get_traced_memory()[1], outcome
    finally:
        tracemalloc.stop()


class DocumentCheckTests(SimpleTestCase):
    def test_it_accepts_an_opendocument_file(self):
        upload = SimpleUploadedFile("minutes.odt", odt_bytes())
        self.assertEqual(check_document(upload, max_bytes=LIMIT), ODT)

    def test_it_accepts_an_opendocument_file_with_a_compressed_mimetype(self):
        # The standard says `mimetype` is stored uncompressed; some tools compress it anyway.
        upload = SimpleUploadedFile("minutes.odt", odt_bytes(compress=zipfile.ZIP_DEFLATED))
        self.assertEqual(check_document(upload, max_bytes=LIMIT), ODT)

    def test_it_accepts_a_word_document(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<w:document/>" * 1000)
        upload = SimpleUploadedFile("paper.docx", buffer.getvalue())
        self.assertIn("wordprocessingml", check_document(upload, max_bytes=LIMIT))

    def test_it_refuses_a_zip_bomb_without_unpacking_it(self):
        # 100 MiB of zeros in `mimetype` deflates to about 100 KiB. Reading the member whole
        # (as this check once did) allocates the full 100 MiB.
        bomb = zip_with_long_member("mimetype", 100, compress=zipfile.ZIP_DEFLATED)
        self.assertLess(len(bomb), 200 * 1024)
        upload = SimpleUploadedFile("minutes.odt", bomb)

        peak, outcome = peak_bytes_while(lambda: check_document(upload, max_bytes=LIMIT))

        self.assertLess(peak, 2 * 1024 * 1024)
        self.assertIsInstance(outcome, NotADocument)
        self.assertIn("would unpack to 100 MB", str(outcome))
        self.assertIn("so it is refused", str(outcome))

    def test_it_reads_only_the_start_of_a_long_mimetype_member(self):
        # Stored, not compressed, so the size guard lets it through: only the capped read
        # keeps the check from loading all 8 MiB (and decoding it into another 8 MiB).
        archive = zip_with_long_member("mimetype", 8, compress=zipfile.ZIP_STORED)
        upload = SimpleUploadedFile("minutes.odt", archive)

        peak, outcome = peak_bytes_while(lambda: check_document(upload, max_bytes=LIMIT))

        self.assertIsInstance(outcome, NotADocument)
        self.assertIn("not a document we accept", str(outcome))
        self.assertLess(peak, 1024 * 1024)

    def test_it_refuses_an_archive_with_a_huge_table_of_contents_before_parsing_it(self):
        # 50,000 empty parts in about 4 MB: zipfile would hold ~30 MB of entries in memory.
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            for number in range(50_000):
                archive.writestr(zipfile.ZipInfo(f"word/{number}"), b"")
        upload = SimpleUploadedFile("paper.docx", buffer.getvalue())

        peak, outcome = peak_bytes_while(lambda: check_document(upload, max_bytes=LIMIT))

        self.assertIsInstance(outcome, NotADocument)
        self.assertIn("not a document we accept", str(outcome))
        self.assertLess(peak, 1024 * 1024)

    def test_it_refuses_an_encrypted_archive_cleanly(self):
        data = bytearray(odt_bytes())
        # Set the "encrypted" flag on the mimetype entry in the table of contents.
        at = data.find(b"PK\x01\x02")
        data[at + 8] |= 0x01
        upload = SimpleUploadedFile("minutes.odt", bytes(data))
        with self.assertRaisesMessage(NotADocument, "not a document we accept"):
            check_document(upload, max_bytes=LIMIT)
