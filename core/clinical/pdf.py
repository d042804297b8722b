"""PDF letters: the text, for the preview. pypdf is imported only when a PDF is actually read.

A PDF carries no structured identity: what it prints (name, birth date, NIR...) is only suggested; a person
files it, or the XDM metadata next to it gives the patient.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

from core.errors import ParseError
from core.text import T

if TYPE_CHECKING:
    from core.model_rest import ClinicalDocument

MAX_PAGES = 200  # a letter is a few pages; a 10,000-page PDF is not something to extract in a mail client
MAX_TEXT = 1_000_000


def looks_like(data: bytes) -> bool:
    """The PDF signature within the first kilobyte (some producers put junk before it)."""
    return b"%PDF-" in data[:1024]


def extract_text(data: bytes) -> str:
    """The text of every page, pages separated by a form feed; ParseError when pypdf cannot read it."""
    if not looks_like(data):
        raise ParseError(T("clinical.pdf.fichier-pdf-signature-pdf"))
    from pypdf import PasswordType, PdfReader  # heavy: loaded on first use only
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    # pypdf logs recoverable damage as warnings: noise for a doctor, and never needed to read the text.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # Encrypted with an empty user password (only an owner password, to forbid copying or editing, as
        # lab software often does): viewers open it without asking, so must missive. Whatever the empty
        # password opens (also a file whose owner password is empty) needs no secret to be read.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ParseError(T("clinical.pdf.pdf-protege-mot-passe"))
        pages: list[str] = []
        size = 0
        for number, page in enumerate(reader.pages):
            if number >= MAX_PAGES:
                break
            text = page.extract_text() or ""
            pages.append(text.strip())
            size += len(text)
            if size > MAX_TEXT:
                break
    except ParseError:
        raise
    except FileNotDecryptedError:
        raise ParseError(T("clinical.pdf.pdf-protege-mot-passe")) from None
    except (PyPdfError, RecursionError, MemoryError) as exc:
        raise ParseError(T("clinical.pdf.pdf-illisible-fichier-endommage", name=type(exc).__name__)) from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many plain exceptions on damaged files
        raise ParseError(T("clinical.pdf.pdf-illisible-fichier-endommage", name=type(exc).__name__)) from None
    return "\n\f\n".join(pages).strip()


def parse(data: bytes, title: str = "") -> list[ClinicalDocument]:
    """One document holding the PDF's text, with the identity it prints as *suggested* traits (never filed
    without a person: see ``core.clinical.pdf_identity``)."""
    from core.clinical.pdf_identity import suggested_identity
    from core.model_rest import ClinicalDocument

    text = extract_text(data)
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return [
        ClinicalDocument(
            format="pdf",
            identity=suggested_identity(text),
            text=text,
            title=title or first_line[:120],
            raw=data,
        )
    ]


__all__ = ["extract_text", "looks_like", "parse"]
