"""A multipart the parser cannot split is the letter's text, not a file. CPython's email tests keep a letter
whose Content-Type says multipart/alternative with no boundary (msg_41.txt: "Blah blah blah"); MimeKit's keep
an Outlook 12 letter whose multipart/alternative is empty (empty-multipart.txt). missive showed the first with
no text and a nameless attachment "part.alternative" holding its words, the second with that phantom file
beside its text. Thunderbird shows the words. Read as ``messages show`` and the reader read a letter."""

from __future__ import annotations

from core.mail import mime
from tests.conformance.test_clinical_corpus import DATA


def test_a_multipart_without_boundary_shows_its_words():
    parsed, attachments = mime.read((DATA / "email" / "msg_41.txt").read_bytes())
    assert (parsed.sender, parsed.subject) == ("xxx@example.com", "64423")
    assert parsed.text.strip() == "Blah blah blah"
    assert attachments == []


def test_an_empty_alternative_is_no_attachment():
    parsed, attachments = mime.read((DATA / "mimekit" / "empty-multipart.txt").read_bytes())
    assert parsed.text.strip() == (
        "This part should be on the same level as the multipart/alternative and not a child."
    )
    assert [a.filename for a in attachments] == []
