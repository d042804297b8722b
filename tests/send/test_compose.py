"""The letter built from a Draft: headers, MIME structure, threading, MSSanté header, outer headers kept."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import BadInput
from core.mail.account import Account
from core.mail.compose import compose, header_value, keep_outer_headers
from core.model import Attachment, Draft

ACCOUNT = Account(name="cabinet", email="dr.durand@cabinet.exemple.fr", mss_nil="NIL-12345")


def parse(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def test_headers_body_and_attachments_survive_a_round_trip() -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 50
    lab = "RES|Hémoglobine|HB|N|13,5|g/dl|\r\n".encode("latin-1")
    draft = Draft(
        to=("a@hopital.exemple.fr", "b@labo.exemple.fr"),
        cc=("c@exemple.fr",),
        subject="Résultats — Mme Exemple",
        body="Chère consœur,\nci-joint le compte rendu.\n",
        attachments=(
            Attachment("compte-rendu é.pdf", "application/pdf", pdf),
            Attachment("resultat.hpr", "text/plain", lab),
        ),
        extra_headers=(("X-MSS-CODECDA", "11502-2"),),
    )
    when = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    composed = compose(draft, ACCOUNT, now=when)
    assert b"\r\n" in composed.data and b"\n" not in composed.data.replace(b"\r\n", b"")
    msg = parse(composed.data)
    assert msg["From"] == ACCOUNT.email
    assert msg["To"] == "a@hopital.exemple.fr, b@labo.exemple.fr"
    assert msg["Cc"] == "c@exemple.fr"
    assert msg["Subject"] == draft.subject
    assert msg["Date"].datetime == when
    assert msg["Message-ID"] == composed.message_id
    assert composed.message_id.endswith("@cabinet.exemple.fr>")
    assert msg["X-MSS-NIL"] == "NIL-12345"
    assert msg["X-MSS-CODECDA"] == "11502-2"
    assert composed.recipients == ("a@hopital.exemple.fr", "b@labo.exemple.fr", "c@exemple.fr")
    parts = list(msg.iter_attachments())
    assert [p.get_filename() for p in parts] == ["compte-rendu é.pdf", "resultat.hpr"]
    assert parts[0].get_content() == pdf
    assert parts[1].get_content_type() == "text/plain"
    assert parts[1].get_payload(decode=True) == lab  # the lab file's own bytes, not re-encoded
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == draft.body
    # 7-bit clean so that a signature survives any relay
    assert max(composed.data) < 128


def test_each_letter_gets_its_own_message_id() -> None:
    draft = Draft(to=("a@exemple.fr",), subject="s", body="b")
    assert compose(draft, ACCOUNT).message_id != compose(draft, ACCOUNT).message_id


def test_reply_threading_headers() -> None:
    draft = Draft(
        to=("a@exemple.fr",),
        subject="Re: s",
        body="b",
        in_reply_to="<orig@exemple.fr>",
        references=("<first@exemple.fr>",),
    )
    msg = parse(compose(draft, ACCOUNT).data)
    assert msg["In-Reply-To"] == "<orig@exemple.fr>"
    assert msg["References"].split() == ["<first@exemple.fr>", "<orig@exemple.fr>"]


def test_no_mss_nil_header_when_the_account_has_none() -> None:
    account = Account(name="x", email="x@exemple.fr")
    data = compose(Draft(to=("a@exemple.fr",), subject="s", body="b"), account).data
    assert header_value(data, "X-MSS-NIL") is None


@pytest.mark.parametrize(
    "draft",
    [
        Draft(to=("pas-une-adresse",), subject="s", body="b"),
        Draft(to=("a@exemple.fr",), cc=("a@b@c",), subject="s", body="b"),
        Draft(to=(), subject="s", body="b"),
        Draft(to=("a@exemple.fr",), subject="s\r\nBcc: evil@exemple.fr", body="b"),
        Draft(to=("a@exemple.fr",), subject="s", body="b", extra_headers=(("From", "x@y.fr"),)),
        Draft(to=("a@exemple.fr",), subject="s", body="b", extra_headers=(("X-MSS-INS", "O\nX: y"),)),
        # every other line end the email package refuses (with ValueError: an internal error, not one line)
        *(
            Draft(to=("a@exemple.fr",), subject=f"s{end}Bcc: evil@exemple.fr", body="b")
            for end in ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
        ),
        Draft(to=("a@exemple.fr",), subject="s", body="b", extra_headers=(("X-MSS-INS", "O\u2028X: y"),)),
        # a control in an address went to RCPT TO as it was
        Draft(to=("a\x00b@exemple.fr",), subject="s", body="b"),
        Draft(to=("a\x1bMb@exemple.fr",), subject="s", body="b"),
    ],
)
def test_bad_drafts_are_refused_with_a_one_line_error_without_the_address(draft: Draft) -> None:
    with pytest.raises(BadInput) as info:
        compose(draft, ACCOUNT)
    text = str(info.value)
    assert "\n" not in text
    for address in (*draft.to, *draft.cc):
        if address:
            assert address not in text


def test_outer_headers_are_put_back_when_protect_returns_only_the_smime_entity() -> None:
    composed = compose(Draft(to=("a@exemple.fr",), subject="s", body="b"), ACCOUNT)
    entity = (
        b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\r\n"
    )
    data = keep_outer_headers(composed.data, entity)
    msg = parse(data)
    assert msg["Message-ID"] == composed.message_id
    assert msg["X-MSS-NIL"] == "NIL-12345"
    assert msg["To"] == "a@exemple.fr"
    assert msg.get_content_type() == "application/pkcs7-mime"
    assert data.endswith(b"MIAGCSqGSIb3DQEHA6CAMIACAQAx\r\n")
    # a whole message that kept its headers is left exactly as it is
    assert keep_outer_headers(composed.data, composed.data) == composed.data


@settings(max_examples=200, deadline=None)
@given(
    subject=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=200),
    body=st.text(st.characters(blacklist_categories=("Cs",)), max_size=500),
)
def test_any_one_line_subject_and_any_body_round_trip(subject: str, body: str) -> None:
    composed = compose(Draft(to=("a@exemple.fr",), subject=subject, body=body), ACCOUNT)
    msg = parse(composed.data)
    assert " ".join(str(msg["Subject"]).split()) == " ".join(subject.split())
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    got = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert got.rstrip("\n") == expected.rstrip("\n")


def test_an_attachment_named_by_anyone_goes_out_under_a_name_a_file_may_carry() -> None:
    """A forwarded letter's attachment keeps the name its first sender gave: a line end in it (which the email
    package refuses with ValueError), a control or a path is made safe, not refused nor sent as it was."""
    names = ("cr\x0bBcc: evil@exemple.fr.pdf", "cr\u2028x.pdf", "../../etc/cr\x00\u202efdp.exe", "\x1b]0;x\x07.pdf")
    draft = Draft(
        to=("a@exemple.fr",),
        subject="Tr: cr",
        body="b",
        attachments=tuple(Attachment(name, "application/pdf", b"%PDF") for name in names),
    )
    data = compose(draft, ACCOUNT).data
    sent = [part.get_filename() for part in message_from_bytes(data).walk() if part.get_filename()]
    assert sent == ["cr_Bcc_ evil@exemple.fr.pdf", "cr_x.pdf", "cr__fdp.exe", "_]0;x_.pdf"]
    assert header_value(data, "Bcc") is None


def test_a_reply_to_a_letter_whose_message_id_is_none_leaves_unthreaded() -> None:
    """The letter answered names itself: an ESC in its Message-ID went out in In-Reply-To, and an identifier
    with a space, a line end or no '@' stopped the reply with 'n'est pas un Message-ID valide'."""
    for named in ("<a\x1b]0;x\x07@exemple.fr>", "<a\x0cb@exemple.fr>", "<a b@exemple.fr>", "<sans-arobase>"):
        draft = Draft(to=("a@exemple.fr",), subject="Re: s", body="b", in_reply_to=named, references=(named,))
        data = compose(draft, ACCOUNT).data
        assert header_value(data, "In-Reply-To") is None and header_value(data, "References") is None, ascii(named)
        assert b"\x1b" not in data and b"\x0c" not in data
    draft = Draft(to=("a@exemple.fr",), subject="Re: s", body="b", in_reply_to="<orig@exemple.fr>",
                  references=("<a\x1b@x>", "<first@exemple.fr>"))  # fmt: skip
    data = compose(draft, ACCOUNT).data
    assert header_value(data, "In-Reply-To") == "<orig@exemple.fr>"
    assert header_value(data, "References") == "<first@exemple.fr> <orig@exemple.fr>"
