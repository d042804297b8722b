"""From mail to the practice software: a result in an attachment or in the body is read and filed; one from
outside the trust space is kept and queued, but never filed without a person's decision."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from core.events import MailroomEvent, NewMail
from core.mail.account import Account
from core.mailroom import Mailroom

PASS = "correct horse battery staple"
DATA = Path(__file__).resolve().parent.parent / "data" / "filing"
RESULT = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "P-1,MÜLLER,LEFÈVRE,Jean-Pierre Marie,1968-04-12,M,\n"
    "P-2,DURAND,,Claire,1971-02-03,F,\n"
)


def letter(sender: str, number: int) -> bytes:
    # a result of its own in each letter: the same bytes in two letters are one result and its duplicate
    encoded = base64.encodebytes(RESULT + f"\r\n{number}\r\n".encode())
    return (
        (
            f"From: {sender}\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Resultats\r\n"
            f"Message-ID: <r{number}@exemple>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
            'Content-Type: application/octet-stream; name="res.hpr"\r\n'
            'Content-Disposition: attachment; filename="res.hpr"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + encoded
        + b"--b--\r\n"
    )


def synced_practice(tmp_path: Path, mails: dict[str, bytes], anchors: tuple = ()) -> tuple[Mailroom, Path]:
    """A profile trusting labo-ormes.mssante.fr, filing into ``lgc``, with the two patients, and a Maildir account
    holding ``mails`` (file name -> bytes), synced once."""
    profile, lgc, maildir = tmp_path / "profile", tmp_path / "lgc", tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for name, raw in mails.items():
        (maildir / "new" / name).write_bytes(raw)
    created = Mailroom.create(profile, PASS)
    for anchor in anchors:  # authorities whose S/MIME signatures the profile trusts
        created.keys.trust(anchor)
    settings = profile / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["labo-ormes.mssante.fr"]', 1)
    settings.write_text(text.replace('folder = ""', f'folder = "{lgc}"', 1), "utf-8")
    mr = Mailroom.open(profile, PASS)
    mr.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    mr.accounts.add(
        Account(name="cabinet", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(maildir))
    )
    asyncio.run(mr.sync())
    return mr, lgc


def test_only_the_trusted_lab_result_is_filed_automatically(tmp_path: Path, cli) -> None:
    mr, lgc = synced_practice(
        tmp_path,
        {
            "1.trusted": letter("labo@labo-ormes.mssante.fr", 1),
            "2.outsider": letter("labo.ormes@gmail.example", 2),
        },
    )

    by_message = {d.message_id: d for d in mr.documents.list()}
    assert by_message["<r1@exemple>"].state == "filed" and by_message["<r1@exemple>"].patient_id == "P-1"
    outsider = by_message["<r2@exemple>"]
    assert outsider.state == "waiting" and outsider.decision == "review"
    assert [c.patient_id for c in outsider.match.candidates][:1] == ["P-1"]  # the candidate is still shown
    assert len(list(lgc.iterdir())) == 1
    assert len(mr.messages.list()) == 2  # nothing is dropped
    # the glycaemia is flagged high: both messages carry the abnormal marker of the list
    assert [m.abnormal for m in mr.messages.list()] == [True, True]
    assert by_message["<r1@exemple>"].abnormal == 1
    # what `missive messages show` tells the doctor about each
    shown = {m.sender: cli("messages", "show", m.id)[1] for m in mr.messages.list()}
    outsider_text = shown["labo.ormes@gmail.example"]
    assert "Hors espace de confiance" in outsider_text
    assert f"à classer : missive file {outsider.id} --patient ID" in outsider_text
    assert "Hors espace de confiance" not in shown["labo@labo-ormes.mssante.fr"]
    assert "dont 1 anormal(aux) — classé (patient P-1)" in shown["labo@labo-ormes.mssante.fr"]


def test_a_result_from_outside_the_trust_space_says_why_it_waits(tmp_path: Path) -> None:
    """À classer showed a result matching one patient on every trait (90 %, all identical) waiting with no
    reason: the letter came from outside the trust space. The core says it, as the comparison's title."""
    from tui.panes.review import compare_title

    mr, _lgc = synced_practice(tmp_path, {"2.outsider": letter("labo.ormes@gmail.example", 2)})
    pending, _filed = mr.review_items()
    assert [i.held for i in pending] == ["expéditeur hors espace de confiance : à vérifier"]
    assert compare_title(pending[0]) == "⚠ expéditeur hors espace de confiance : à vérifier"
    trusted, _ = synced_practice(tmp_path / "t", {"1.trusted": letter("labo@labo-ormes.mssante.fr", 1)})
    assert trusted.review_items() == ([], trusted.review_items()[1])  # filed: nothing waits, nothing said


def test_a_result_sent_as_the_message_body_is_read_and_filed(tmp_path: Path) -> None:
    """Labs (and Apicrypt) often send the HPRIM report as the body itself; an ordinary letter is left alone."""
    head = (
        b"From: labo@labo-ormes.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Resultats\r\n"
        b"Message-ID: <body@exemple>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    text = "\r\n".join(["Cher confrère,", *[f"ligne {n} du courrier" for n in range(20)], "Bien à vous."])
    mr, lgc = synced_practice(
        tmp_path,
        {
            "1.body": head + RESULT,
            "2.letter": head.replace(b"<body@exemple>", b"<letter@exemple>") + text.encode("cp1252"),
        },
    )

    [document] = mr.documents.list()
    assert document.message_id == "<body@exemple>" and document.state == "filed"
    [filed] = list(lgc.iterdir())
    assert filed.read_bytes() == RESULT  # the report's own bytes, in the lab's encoding
    assert [m.has_attachments for m in mr.messages.list()] == [False, False]


def test_own_letters_are_never_clinical_input_nor_news(tmp_path: Path) -> None:
    """A letter from the practice's own address (a Sent copy synced back, a copy to itself) with a result
    attached is stored, but queues nothing, files nothing and is not announced as new mail (issue 16)."""
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / ".Sent" / sub).mkdir(parents=True)
    (maildir / ".Sent" / "cur" / "1.sent:2,S").write_bytes(letter("Dr Cabinet <DR@cabinet.mssante.fr>", 7))
    events: list[MailroomEvent] = []
    mr, lgc = synced_practice(tmp_path, {"2.mine": letter("dr@cabinet.mssante.fr", 8)})
    assert len(mr.messages.list()) == 2  # both kept
    assert mr.documents.list() == []  # nothing queued: no À classer, no filing
    assert not lgc.exists() or not list(lgc.iterdir())
    mr.subscribe(events.append)
    (maildir / "new" / "3.lab").write_bytes(letter("labo@labo-ormes.mssante.fr", 9))
    (maildir / ".Sent" / "cur" / "4.sent:2,S").write_bytes(letter("dr@cabinet.mssante.fr", 10))
    asyncio.run(mr.sync())
    assert [e.count for e in events if isinstance(e, NewMail)] == [1]  # the lab's only
    assert [d.message_id for d in mr.documents.list()] == ["<r9@exemple>"]


def test_a_result_whose_signature_fails_is_never_filed_automatically(tmp_path: Path, cli) -> None:
    """The lab's certificate, but the letter comes from its front desk's address: the signature fails, and
    however well the identity matches, the result waits for a person."""
    from core.demo.pki import make_demo_pki
    from core.secure.smime import sign

    lab, desk = "labo@labo-ormes.mssante.fr", "secretariat@labo-ormes.mssante.fr"
    pki = make_demo_pki({lab: "Laboratoire des Ormes"})

    def signed(sender: str, number: int) -> bytes:
        return sign(letter(sender, number), pki[lab].key, pki[lab].cert, [pki.ca.cert])

    mr, lgc = synced_practice(
        tmp_path, {"1.valid": signed(lab, 1), "2.desk": signed(desk, 2)}, anchors=(pki.ca.cert,)
    )

    by_message = {d.message_id: d for d in mr.documents.list()}
    assert by_message["<r1@exemple>"].state == "filed"  # the lab's own, valid signature: filed
    failed = by_message["<r2@exemple>"]
    assert failed.state == "waiting" and failed.decision == "review"
    assert [c.patient_id for c in failed.match.candidates][:1] == ["P-1"]  # still proposed to the doctor
    assert len(list(lgc.iterdir())) == 1
