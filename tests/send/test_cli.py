"""`missive send`, `missive outbox list|flush` from the command line (in-process), on a local Maildir account."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.mail.account import Account
from core.mail.compose import header_value
from core.mail.send import SendService
from core.mail.smtp import SmtpError
from core.mailroom import Mailroom
from core.store.profile import Profile


@pytest.fixture
def wired(profile: Profile, profile_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A Maildir account and the façade's own send/flush_outbox (policy, S/MIME, audit); only the SMTP
    submission is replaced, so a test can make it fail the way a server would."""
    account = Account(
        name="demo", email="dr.demo@cabinet.exemple.fr", kind="maildir", maildir=str(tmp_path / "Mail")
    )
    text = (profile_dir / "profile.toml").read_text("utf-8")
    (profile_dir / "profile.toml").write_text(
        text.replace("allow = []", 'allow = ["exemple.fr", "*.exemple.fr"]', 1), "utf-8"
    )
    state = {"fail": None, "account": account}

    async def submit(acc, data, sender, rcpts):
        if state["fail"]:
            raise state["fail"]
        from core.mail.smtp import Submitted

        return Submitted()

    def service(mr: Mailroom) -> SendService:
        return SendService(
            mr.outbox,
            lambda name: state["account"],
            protect=mr.outgoing.protect,
            check_policy=mr.outgoing.check,
            submit=submit,
        )

    monkeypatch.setattr(Mailroom, "_sending", property(service))
    return account, state


def sent_files(account: Account) -> list[Path]:
    cur = Path(account.maildir) / ".Sent" / "cur"
    return sorted(cur.iterdir()) if cur.is_dir() else []


def test_send_with_body_file_and_attachment_files_the_letter(cli, wired, tmp_path: Path) -> None:
    account, _ = wired
    body = tmp_path / "lettre.txt"
    body.write_text("Cher confrère,\nvoici le compte rendu.\n", "utf-8")
    pdf = tmp_path / "cr.pdf"
    pdf.write_bytes(b"%PDF-1.4 test")
    code, out, err = cli(
        "send",
        "--to",
        "a@hopital.exemple.fr",
        "--subject",
        "CR",
        "--body-file",
        str(body),
        "--attach",
        str(pdf),
    )
    assert code == 0, err
    [path] = sent_files(account)
    assert out.strip() == f"envoyé : {header_value(path.read_bytes(), 'Message-ID')}"
    assert b'filename="cr.pdf"' in path.read_bytes()
    assert cli("outbox", "list", "--json")[1] == ""


def test_send_reads_the_text_from_stdin(cli, wired, monkeypatch: pytest.MonkeyPatch) -> None:
    account, _ = wired
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("Texte éè\n".encode())))
    code, out, err = cli("send", "--to", "a@exemple.fr", "--subject", "s", "--json")
    assert code == 0, err
    assert json.loads(out)["outcome"] == "sent"
    assert "Texte" in sent_files(account)[0].read_bytes().decode("ascii")  # quoted-printable


def test_a_letter_that_cannot_go_stays_listed_and_flush_sends_it(cli, wired, tmp_path: Path) -> None:
    account, state = wired
    body = tmp_path / "b.txt"
    body.write_text("x", "utf-8")
    state["account"] = account.with_changes(smtp_host="smtp.exemple.fr")
    state["fail"] = SmtpError("smtp.exemple.fr:587: cannot connect (Connection refused)")
    code, out, err = cli("send", "--to", "a@exemple.fr", "--subject", "Résultats", "--body-file", str(body))
    assert code == 1
    assert (
        err.count("\n") == 1
        and "la lettre est gardée dans la boîte d'envoi" in err
        and "ctrl+r dans l'application" in err  # what sends it now, from the app too
        and "Résultats" not in err
    )
    code, out, err = cli("outbox", "list", "--json")
    [entry] = [json.loads(line) for line in out.splitlines()]
    assert entry["state"] == "queued" and entry["attempts"] == 1 and entry["to"] == ["a@exemple.fr"]
    code, out, _ = cli("outbox", "list")
    assert entry["id"] in out and "queued" in out
    state["fail"] = None
    code, out, err = cli("outbox", "flush", "--all")
    assert code == 0, err
    assert "envoyés : 1" in out
    assert cli("outbox", "list")[1].strip() == "boîte d'envoi vide"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["send", "--to", "pas-une-adresse", "--subject", "s", "--body-file", "{body}"],
            "le destinataire 1 (--to) : adresse e-mail invalide",
        ),
        (
            ["send", "--to", "a@exemple.fr", "--subject", "s\x0cBcc: evil@exemple.fr", "--body-file", "{body}"],
            "l'objet doit tenir sur une seule ligne",  # was 'erreur interne (ValueError)'
        ),
        (
            ["send", "--to", "a@exemple.fr", "--subject", "s\u2028Bcc: evil@exemple.fr", "--body-file", "{body}"],
            "l'objet doit tenir sur une seule ligne",
        ),
        (
            ["send", "--to", "a\x1bMb@exemple.fr", "--subject", "s", "--body-file", "{body}"],
            "le destinataire 1 (--to) : adresse e-mail invalide",  # the ESC went to RCPT TO
        ),
        (["send", "--to", "a@exemple.fr", "--subject", "s", "--body-file", "{tmp}/absent.txt"], "absent.txt"),
        (
            [
                "send",
                "--to",
                "a@exemple.fr",
                "--subject",
                "s",
                "--body-file",
                "{body}",
                "--attach",
                "{tmp}/no.pdf",
            ],
            "no.pdf",
        ),
        (
            ["send", "--to", "a@exemple.fr", "--body-file", "{body}"],
            "arguments obligatoires manquants : --subject",
        ),
        (["send", "--to", "a@exemple.fr", "--subject", "s", "--body-file", "{latin1}"], "UTF-8"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, wired, tmp_path: Path, args: list[str], expected: str) -> None:
    body = tmp_path / "b.txt"
    body.write_text("x", "utf-8")
    latin1 = tmp_path / "l.txt"
    latin1.write_bytes("éèà".encode("latin-1"))
    args = [a.format(body=body, tmp=tmp_path, latin1=latin1) for a in args]
    code, out, err = cli(*args)
    assert code == 2
    assert err.startswith("missive : ") and err.count("\n") == 1 and expected in err


def test_outbox_list_writes_no_control_character_of_a_servers_refusal(cli, wired, tmp_path: Path) -> None:
    """The server's words kept with a letter that did not leave ('452 \\x1b]52;c;…\\x07': an OSC 52 writes the
    clipboard on many terminals) are listed with U+FFFD for each control character."""
    account, state = wired
    body = tmp_path / "b.txt"
    body.write_text("x", "utf-8")
    state["account"] = account.with_changes(smtp_host="smtp.exemple.fr")
    state["fail"] = SmtpError("smtp.exemple.fr:587: 452 \x1b]52;c;UFdORUQ=\x07\x9b2J try later")
    assert cli("send", "--to", "a@exemple.fr", "--subject", "Objet \x1b[2J", "--body-file", str(body))[0] == 1
    code, out, _ = cli("outbox", "list")
    assert "try later" in out
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in out), repr(out)


def test_outbox_show_send_and_withdraw_one_letter(cli, wired, tmp_path: Path, profile_dir: Path) -> None:
    """What À envoyer does, from the command line: a refused letter shown as it will leave, sent again once the
    cause is fixed; another withdrawn into Brouillons (kept, never destroyed); each audited."""
    account, state = wired
    body = tmp_path / "b.txt"
    body.write_text("Cher confrère,\nvoici.\n", "utf-8")
    state["account"] = account.with_changes(smtp_host="smtp.exemple.fr")
    state["fail"] = SmtpError("554 5.7.1 <a@exemple.fr>: Recipient address rejected", permanent=True, code=554)
    for subject in ("Avis", "Suite"):
        assert cli("send", "--to", "a@exemple.fr", "--subject", subject, "--body-file", str(body))[0] == 1
    entries = [json.loads(line) for line in cli("outbox", "list", "--json")[1].splitlines()]
    assert [(e["subject"], e["state"]) for e in entries] == [("Avis", "failed"), ("Suite", "failed")]
    avis, suite = entries[0]["id"], entries[1]["id"]
    code, out, err = cli("outbox", "show", avis)
    assert code == 0, err
    assert "Objet : Avis" in out and "À : a@exemple.fr" in out and out.rstrip().endswith("voici.")
    code, out, err = cli("outbox", "send", avis)  # still refused: says why, exit 1, kept
    assert code == 1 and "Recipient address rejected" in out
    assert len(cli("outbox", "list", "--json")[1].splitlines()) == 2
    state["fail"] = None
    code, out, err = cli("outbox", "send", avis)
    assert code == 0 and "envoyés : 1" in out, err
    assert len(sent_files(account)) == 1
    code, out, err = cli("outbox", "withdraw", suite)
    assert code == 0 and "Brouillons" in out, err
    assert cli("outbox", "list")[1].strip() == "boîte d'envoi vide"
    code, out, err = cli("outbox", "withdraw", suite)  # no longer there: one line, exit 1
    assert code != 0 and err.count("\n") == 1 and "missive outbox list" in err
    mr = Mailroom.open(profile_dir, "correct horse battery staple")
    try:
        assert [d.draft.subject for d in mr.drafts()] == ["Suite"] and "voici." in mr.drafts()[0].draft.body
        actions = [(r["action"], r["details"]) for r in mr.audit.records()]
        assert ("withdraw", {"entry": suite, "draft": mr.drafts()[0].id}) in [
            (a, {k: v for k, v in d.items() if k in ("entry", "draft")}) for a, d in actions
        ]
        assert any(a == "read" and d.get("outbox") == avis for a, d in actions)
        assert sum(a == "send" for a, _ in actions) == 1
    finally:
        mr.close()


def test_a_letter_that_may_have_arrived_is_sent_again_only_by_name_and_an_accepted_one_never_withdrawn(
    cli, wired, tmp_path: Path, profile_dir: Path
) -> None:
    """'Send all' (À envoyer's E) leaves out a letter a crash during its handing over left in doubt: the core asks
    its question first and it goes only by name; a letter the server already accepted cannot be withdrawn."""
    import asyncio

    from core.errors import BadInput

    account, state = wired
    body = tmp_path / "b.txt"
    body.write_text("x", "utf-8")
    state["account"] = account.with_changes(smtp_host="smtp.exemple.fr")
    state["fail"] = SmtpError("smtp.exemple.fr:587: cannot connect (Connection refused)")
    for subject in ("Avis", "Suite", "Fin"):
        assert cli("send", "--to", "a@exemple.fr", "--subject", subject, "--body-file", str(body))[0] == 1
    state["fail"] = None
    mr = Mailroom.open(profile_dir, "correct horse battery staple")
    try:
        doubt, plain, accepted = (e.id for e in mr.outbox.list())
        mr.outbox.mark_uncertain(doubt, "peut-être reçue")
        mr.outbox.mark_accepted(accepted)
        letters = {x.id: x for x in mr.outbox_letters()}
        assert letters[doubt].state == "doubt" and "deux fois" in letters[doubt].resend_question
        assert letters[accepted].state == "accepted" and not letters[accepted].can_withdraw
        with pytest.raises(BadInput, match="déjà accepté"):
            mr.withdraw_outgoing(accepted)
        report = asyncio.run(mr.send_outgoing())
        assert report.sent == 2 and [e.id for e in mr.outbox.list()] == [doubt]  # the doubtful one left alone
        report = asyncio.run(mr.send_outgoing(doubt))  # by name, once the question was answered
        assert report.sent == 1 and mr.outbox.list() == []
    finally:
        mr.close()
