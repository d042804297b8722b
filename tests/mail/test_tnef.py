"""Outlook's winmail.dat (TNEF) read by core/mail/tnef.py: Outlook's and Exchange's own files give the names
and bytes the reference decoder (Debian's ``tnef``, the interop peer: ``make sysdeps`` installs it) gives, or
are refused where it refuses them; damaged streams only ever raise the module's error; a letter's winmail.dat
becomes its attachments and its HPRIM result goes to the clinical readers."""

from __future__ import annotations

import os
import random
import struct
import subprocess
from pathlib import Path

import pytest

from core.mail import fastmime, mime
from core.mail.tnef import MAX_FILES, TnefContent, TnefError, decompress_rtf, read_tnef, rtf_text
from tests.mail.tnef_build import (
    ATT_DATA,
    ATT_RENDDATA,
    attribute,
    letter_with_winmail,
    properties,
    stream,
    winmail,
)

DATA = Path(__file__).resolve().parent.parent / "data"
CORPUS = sorted((DATA / "tnef").glob("*.tnef"))
HPRIM = (DATA / "clinical" / "hprim_net_cp1252_crlf.hpr").read_bytes()


def _reference(path: Path, out: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    out.mkdir()
    return subprocess.run(
        ["tnef", "--number-backups", "-C", str(out), *args, "-f", str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )


def _name(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # the reference writes an 8-bit name as the stream gives it


def test_the_corpus_is_here() -> None:
    assert len(CORPUS) == 17


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_each_file_reads_as_the_reference_decoder_reads_it(path: Path, tmp_path: Path) -> None:
    ref = _reference(path, tmp_path / "ref")
    data = path.read_bytes()
    if ref.returncode != 0 or b"ERROR" in ref.stderr:
        # a wrong checksum, bytes after the last attribute: refused, as the reference decoder refuses them
        with pytest.raises(TnefError):
            read_tnef(data)
        return
    expected = sorted((_name(os.fsencode(p.name)), p.read_bytes()) for p in (tmp_path / "ref").iterdir())
    content = read_tnef(data)
    assert sorted((f.name, f.data) for f in content.files) == expected


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_compressed_rtf_bodies_decompress_as_the_reference_decoder_does(path: Path, tmp_path: Path) -> None:
    ref = _reference(path, tmp_path / "ref", "--save-body=body", "--body-pref=r")
    if ref.returncode != 0 or b"ERROR" in ref.stderr:
        return  # refused (the test above)
    saved = tmp_path / "ref" / "body.rtf"
    from core.mail import tnef

    reader = tnef._Reader(path.read_bytes(), 0, [MAX_FILES])
    reader.read()
    compressed = [p for p in reader.props if p.prop_id == tnef.PR_RTF_COMPRESSED]
    assert saved.exists() == bool(compressed)
    if compressed:
        assert decompress_rtf(compressed[0].values[0]) == saved.read_bytes()


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("umlaut.tnef", "rtf", "TEST äöü"),  # RTF, code page 1252 (\'e4)
        ("long-filename.tnef", "rtf", "I've attached a temp. license for QARun 4.7."),
        ("body.tnef", "html", "THE BILL OF RIGHTS"),  # PR_BODY_HTML
        ("unicode-mapi-attr-name.tnef", "html", "Przesyłam poprawiony plik"),  # HTML in code page 1250
        ("triples.tnef", "text", "Sample description"),  # PR_BODY
        ("multi-value-attribute.tnef", "rtf", "You received a voice mail from Curie Conf Room"),  # \fromhtml
        ("one-file.tnef", "", ""),
    ],
)
def test_the_letters_text_is_read(name: str, kind: str, words: str) -> None:
    content = read_tnef((DATA / "tnef" / name).read_bytes())
    assert content.body_kind == kind
    assert words in content.body
    assert "\x00" not in content.body and "\r" not in content.body
    assert "\\rtf" not in content.body and "\\par" not in content.body and "<" not in content.body


def test_rtf_text_keeps_words_and_drops_the_rest() -> None:
    rtf = (
        rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}"
        rb"{\*\generator Riched20;}\pard Glyc\'e9mie : 1,2 g/l\par Cr\u233?atinine\tab 80\par}"
    )
    assert rtf_text(rtf) == "Glycémie : 1,2 g/l\nCréatinine\t80"


def _check(data: bytes) -> None:
    try:
        content = read_tnef(data)
    except TnefError:
        return
    assert isinstance(content, TnefContent)
    assert sum(len(f.data) for f in content.files) <= len(data)


def test_every_truncation_is_refused_or_read_never_a_traceback() -> None:
    for name in ("two-files.tnef", "umlaut.tnef", "unicode-mapi-attr.tnef"):
        data = (DATA / "tnef" / name).read_bytes()
        step = max(1, len(data) // 2000)
        for cut in range(0, len(data), step):
            _check(data[:cut])
    # a truncation that ends inside an attribute is refused, never read as a shorter stream
    data = (DATA / "tnef" / "two-files.tnef").read_bytes()
    with pytest.raises(TnefError):
        read_tnef(data[:-1])


def test_bit_flips_and_huge_lengths_never_raise_beyond_the_modules_error() -> None:
    rng = random.Random(20261207)
    sources = [(DATA / "tnef" / n).read_bytes() for n in ("two-files.tnef", "umlaut.tnef", "rtf.tnef")]
    sources.append(
        winmail([("res.hpr", HPRIM)], rtf=rb"{\rtf1 Bonjour\par}", embedded=winmail([("a", b"x")]))
    )
    for data in sources:
        for _ in range(600):
            flipped = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(flipped))
                flipped[at] ^= 1 << rng.randrange(8)
            _check(bytes(flipped))
        for _ in range(150):  # a length or count field made huge
            changed = bytearray(data)
            at = rng.randrange(6, len(changed) - 4)
            changed[at : at + 4] = struct.pack(
                "<I", rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x10000000, len(data)])
            )
            _check(bytes(changed))


def test_limits_are_checked_before_anything_is_made() -> None:
    huge_count = attribute(1, 0x00069003, struct.pack("<I", 0xFFFFFFFF))
    with pytest.raises(TnefError):
        read_tnef(stream(huge_count))
    # a value's length past the attribute's end
    bad_value = attribute(1, 0x00069003, struct.pack("<IHHII", 1, 0x102, 0x3701, 1, 0x7FFFFFFF))
    with pytest.raises(TnefError):
        read_tnef(stream(bad_value))
    # too many attachments
    many = [attribute(2, ATT_RENDDATA, b"\0" * 14) for _ in range(MAX_FILES + 1)]
    with pytest.raises(TnefError):
        read_tnef(stream(*many))
    # an attachment's data before any attachment began
    with pytest.raises(TnefError):
        read_tnef(stream(attribute(2, ATT_DATA, b"abc")))
    # a wrong checksum
    with pytest.raises(TnefError):
        read_tnef(stream(attribute(2, ATT_RENDDATA, b"\0" * 14, checksum=1)))
    with pytest.raises(TnefError):
        read_tnef(b"not a tnef stream at all")
    with pytest.raises(TnefError):
        read_tnef(stream(attribute(1, 0x00069003, properties((0x102, 0x1009, b"LZFu")))) + b"\0")


def test_an_embedded_message_is_read_one_level_and_a_deeper_one_named() -> None:
    deepest = winmail([("profond.txt", b"deep")])
    middle = winmail([("compte-rendu.pdf", b"%PDF-1.4 middle")], embedded=deepest)
    content = read_tnef(winmail([("lettre.pdf", b"%PDF-1.4 outer")], embedded=middle))
    assert [f.name for f in content.files] == ["lettre.pdf", "compte-rendu.pdf"]
    assert content.embedded_unread == ("Message",)
    # a damaged message inside is named, and the files beside it still read
    content = read_tnef(winmail([("lettre.pdf", b"%PDF-1.4 outer")], embedded=middle[:-3]))
    assert [f.name for f in content.files] == ["lettre.pdf"]
    assert content.embedded_unread == ("Message",)


def test_a_message_with_a_winmail_dat_shows_its_files_and_its_text() -> None:
    tnef = winmail(
        [("RESULTAT.HPR", HPRIM), ("Lettre de sortie.pdf", b"%PDF-1.4 x")],
        rtf=rb"{\rtf1 Cher confr\'e8re\par}",
    )
    parsed, files = mime.read(letter_with_winmail(tnef))
    assert [(a.filename, a.data) for a in files] == [
        ("RESULTAT.HPR", HPRIM),
        ("Lettre de sortie.pdf", b"%PDF-1.4 x"),
    ]
    assert [p.filename for p in parsed.attachments] == ["RESULTAT.HPR", "Lettre de sortie.pdf"]
    assert parsed.text.startswith("Veuillez trouver")  # the message's own text first
    assert parsed.notes == ()
    # no text of its own: the winmail.dat's
    parsed, _ = mime.read(letter_with_winmail(tnef, text=""))
    assert parsed.text == "Cher confrère"


def test_an_unreadable_winmail_dat_stays_attached_with_a_french_line() -> None:
    tnef = winmail([("RESULTAT.HPR", HPRIM)])[:-7]  # truncated in its last attribute
    parsed, files = mime.read(letter_with_winmail(tnef))
    assert [(a.filename, a.content_type, a.data) for a in files] == [
        ("winmail.dat", "application/ms-tnef", tnef)
    ]
    assert len(parsed.notes) == 1 and parsed.notes[0].startswith("pièce winmail.dat illisible")
    assert "\n" not in parsed.notes[0]


def test_the_sync_hook_finds_the_hprim_result_inside_a_winmail_dat() -> None:
    raw = letter_with_winmail(winmail([("Photo.jpg", b"\xff\xd8\xff\xe0 jpeg"), ("RESULTAT.HPR", HPRIM)]))
    scanned = fastmime.scan(raw)
    assert scanned is not None
    for leaves in (fastmime.leaves_of(scanned), fastmime.leaves_of_tree(mime.parse_bytes(raw))):
        parts, attached = fastmime.clinical_parts(leaves, sniff=True)
        assert attached
        assert [(name, data) for name, _, data in parts] == [("RESULTAT.HPR", HPRIM)]


@pytest.mark.parametrize("name", ["umlaut.tnef", "MAPI_ATTACH_DATA_OBJ.tnef"])
def test_a_message_that_is_a_winmail_dat_sent_binary_reads_whole(name: str) -> None:
    """Exchange relaying inside an organisation sends the whole message as one application/ms-tnef part,
    in binary: its files and its text are the letter's."""
    data = (DATA / "tnef" / name).read_bytes()
    raw = (
        b"From: secretariat@chu.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: CR\r\n"
        b"Message-ID: <bin@chu.mssante.fr>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Transfer-Encoding: binary\r\n\r\n'
    ) + data
    expected = read_tnef(data)
    parsed, files = mime.read(raw)
    assert [(a.filename, a.data) for a in files] == [(f.name, f.data) for f in expected.files]
    assert parsed.text == expected.body and parsed.text.strip()
    assert parsed.notes == ()


def test_a_rich_text_body_that_cannot_be_read_is_said() -> None:
    bad_crc = struct.pack("<IIII", 16, 4, 0x75465A4C, 123) + b"\x00abc"
    tnef = stream(attribute(1, 0x00069003, properties((0x102, 0x1009, bad_crc))))
    assert read_tnef(tnef).body_kind == "rtf-unread"
    parsed, files = mime.read(letter_with_winmail(tnef, text=""))
    assert files == [] and parsed.text == ""
    assert len(parsed.notes) == 1 and "texte enrichi (RTF)" in parsed.notes[0]


def test_the_clinical_readers_refuse_a_winmail_dat_given_whole(cli, tmp_path: Path) -> None:
    """A winmail.dat is never read as the HPRIM file it carries: behind the stream's bytes, the identity was
    read from the wrong lines ('RESULTAT.HPR T A2008' as the family name, no birth date)."""
    from core.clinical.readers import read_document
    from core.errors import ParseError

    tnef = winmail([("RESULTAT.HPR", HPRIM)])
    with pytest.raises(ParseError) as caught:
        read_document(tnef, "winmail.dat")
    assert "winmail.dat" in str(caught.value) and "\n" not in str(caught.value)
    path = tmp_path / "winmail.dat"
    path.write_bytes(tnef)
    code, out, err = cli("parse", str(path))
    assert code == 1 and "LEFÈVRE" not in out + err and "Traceback" not in err
    assert "winmail.dat d'Outlook" in out + err


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_the_lists_attachment_mark_is_what_the_reader_shows(path: Path) -> None:
    """Outlook's rich-text letters carry a winmail.dat that holds only their text: the reader shows no
    attachment for it, and the list's mark (the sync hook's ``attached``) must not promise one."""
    raw = letter_with_winmail(path.read_bytes())
    _, files = mime.read(raw)
    scanned = fastmime.scan(raw)
    assert scanned is not None
    for leaves in (list(fastmime.leaves_of(scanned)), list(fastmime.leaves_of_tree(mime.parse_bytes(raw)))):
        for sniff in (True, False):
            assert fastmime.clinical_parts(leaves, sniff=sniff)[1] == bool(files)


def test_a_winmail_dat_of_text_alone_is_no_attachment_but_one_unread_stays_one() -> None:
    text_only = winmail([], rtf=rb"{\rtf1 Cher confr\'e8re\par}")
    for tnef, expected in ((text_only, False), (text_only[:-7], True), (winmail([("a.pdf", b"%PDF-1.4")]), True)):
        raw = letter_with_winmail(tnef)
        scanned = fastmime.scan(raw)
        assert scanned is not None
        assert fastmime.clinical_parts(fastmime.leaves_of(scanned), sniff=True)[1] is expected
        assert bool(mime.read(raw)[1]) is expected
