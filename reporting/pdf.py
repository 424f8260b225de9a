"""The one module that imports WeasyPrint.

Rendering reads nothing but the project's own static files and its own charts: a URL
fetcher that answers only for the static URL (mapped to the collected files, or to the
finders in development) and for SVG data URIs, and refuses every other address, so no text in a report, however
hostile, can make the server fetch from the network or read an arbitrary path.
"""

from __future__ import annotations

import base64
import binascii
import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# The base every relative address in a report resolves against. ".invalid" can never
# be a real host (RFC 2606), so nothing outside the fetcher below could answer it.
BASE_URL = "https://report.invalid/"
SVG_DATA = "data:image/svg+xml;base64,"
# WeasyPrint's tagged-PDF variant: structure tags, title and language in the metadata.
PDF_VARIANT = "pdf/ua-1"


class RenderError(Exception):
    """The PDF could not be made; nothing was stored."""


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int


class StaticFilesOnly(URLFetcher):
    """Answers for the project's static files; refuses everything else."""

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url.startswith(SVG_DATA):
            # The report's own charts, drawn on the server: decoded here, so no other
            # handler of WeasyPrint's fetcher is ever reached.
            try:
                body = base64.b64decode(url[len(SVG_DATA) :], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError("Refused: a chart that is not valid base64.") from exc
            return URLFetcherResponse(url, body=body, headers={"Content-Type": "image/svg+xml"})
        path = static_path_for(url)
        if path is None:
            raise ValueError(f"Refused: a report may load only its own static files, not {url[:200]!r}.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})


def static_path_for(url: str) -> Path | None:
    """The file a static URL of a report names, or None if it names anything else."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(prefix):
        return None
    name = unquote(parts.path[len(prefix) :])
    if not name or name.startswith("/") or "\\" in name or ".." in Path(name).parts:
        return None
    if settings.STATIC_ROOT:
        try:
            collected = Path(staticfiles_storage.path(name))
        except (SuspiciousFileOperation, ValueError):  # a name outside the collected files
            return None
        if collected.is_file():
            return collected
    found = finders.find(name)
    return Path(found) if found else None


def render_pdf(html: str) -> RenderedPdf:
    """Lay out and write a PDF from a whole HTML document. Raises RenderError."""
    try:
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnly()).render()
        content = document.write_pdf(pdf_variant=PDF_VARIANT)
    except Exception as exc:  # WeasyPrint raises many kinds; the caller needs one
        logger.exception("The report PDF could not be rendered.")
        raise RenderError(f"The PDF could not be made: {exc}") from exc
    return RenderedPdf(content=content, pages=len(document.pages))
