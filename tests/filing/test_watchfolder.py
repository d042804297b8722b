"""The watched outbox folder: complete pairs are sent and moved to sent/, bad ones to failed/ with a reason."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from core.clinical.cda_writer import CdaAuthor
from core.clinical.readers import read_document
from core.errors import BadInput, NotFound, TransportError
from core.model import Draft, Patient
from core.watchfolder import WatchFolder, parse_sidecar

DATA = Path(__file__).resolve().parent.parent / "data" / "filing"
PDF = (DATA / "letter.pdf").read_bytes()
PATIENT = Patient("P-7", "MARTIN", "DUPONT", ("Jeanne",), dt.date(1956, 3, 14), "F", "279035121518989")
AUTHOR = CdaAuthor("10001234567", "MEDECIN", "Paul", "Cabinet du Parc")


class Outbox:
    def __init__(self, error: Exception | None = None) -> None:
        self.drafts: list[Draft] = []
        self.error = error

    async def __call__(self, draft: Draft) -> None:
        if self.error is not None:
            raise self.error
        self.drafts.append(draft)


def _patients(patient_id: str) -> Patient:
    if patient_id != "P-7":
        raise NotFound(f"patient {patient_id!r} introuvable")
    return PATIENT


def _age(*paths: Path, seconds: float = 60) -> None:
    """Make files look untouched for a while (what a finished copy looks like to the watcher)."""
    old = os.stat(paths[0]).st_mtime - seconds
    for path in paths:
        os.utime(path, (old, old))


def _drop(folder: Path, name: str, data: bytes, sidecar: dict | bytes) -> tuple[Path, Path]:
    report = folder / name
    report.write_bytes(data)
    side = folder / f"{name}.json"
    side.write_bytes(sidecar if isinstance(sidecar, bytes) else json.dumps(sidecar).encode())
    return report, side


GOOD = {
    "to": ["dr.martin@exemple.mssante.fr"],
    "subject": "Compte rendu",
    "body": "Cher confrère",
    "patient_id": "P-7",
}


async def test_good_sidecar_is_sent_and_moved_to_sent(tmp_path: Path) -> None:
    outbox = Outbox()
    watcher = WatchFolder(tmp_path, outbox, patients=_patients, author=AUTHOR)
    report, side = _drop(tmp_path, "CR_42.pdf", PDF, GOOD)
    _age(report, side)
    result = await watcher.scan()
    assert result.sent == ["CR_42.pdf"] and result.failed == []
    [draft] = outbox.drafts
    assert draft.to == ("dr.martin@exemple.mssante.fr",) and draft.subject == "Compte rendu"
    assert [(a.filename, a.content_type, a.data) for a in draft.attachments] == [
        ("CR_42.pdf", "application/pdf", PDF)
    ]
    assert draft.extra_headers == ()
    assert sorted(p.name for p in (tmp_path / "sent").iterdir()) == ["CR_42.pdf", "CR_42.pdf.json"]
    assert not report.exists() and not side.exists()
    assert (await watcher.scan()).sent == []  # nothing sent twice


async def test_xdm_asked_adds_the_package_and_headers(tmp_path: Path) -> None:
    outbox = Outbox()
    watcher = WatchFolder(tmp_path, outbox, patients=_patients, author=AUTHOR)
    hprim = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
    _age(*_drop(tmp_path, "res.hpr", hprim, {**GOOD, "xdm": True}))
    assert (await watcher.scan()).sent == ["res.hpr"]
    [draft] = outbox.drafts
    names = [a.filename for a in draft.attachments]
    assert names == ["res.hpr", "IHE_XDM.ZIP"]
    assert dict(draft.extra_headers) == {"X-MSS-CODECDA": "11488-4", "X-MSS-INS": "O"}
    package = draft.attachments[1].data
    assert "IHE_XDM/SUBSET01/METADATA.XML" in zipfile.ZipFile(io.BytesIO(package)).namelist()
    [doc] = read_document(package, "IHE_XDM.ZIP").documents
    assert doc.identity.ins == PATIENT.ins and doc.identity.birth_name == "MARTIN"


async def test_incomplete_pair_waits(tmp_path: Path) -> None:
    outbox = Outbox()
    watcher = WatchFolder(tmp_path, outbox, settle_seconds=3600)
    report = tmp_path / "CR.pdf"
    report.write_bytes(PDF[:100])  # still being copied, no sidecar yet
    assert (await watcher.scan()).waiting == 0 and outbox.drafts == []
    (tmp_path / "CR.pdf.json").write_text(json.dumps(GOOD))
    first = await watcher.scan()  # both just written: not yet known to be stable
    assert first.sent == [] and first.waiting == 1
    report.write_bytes(PDF)  # the copy goes on: it changed since the last scan
    assert (await watcher.scan()).sent == []
    assert (await watcher.scan()).sent == ["CR.pdf"]  # unchanged between two scans: complete
    assert outbox.drafts[0].attachments[0].data == PDF


async def test_sidecar_with_the_same_stem(tmp_path: Path) -> None:
    outbox = Outbox()
    watcher = WatchFolder(tmp_path, outbox)
    (tmp_path / "lettre.pdf").write_bytes(PDF)
    (tmp_path / "lettre.json").write_text(json.dumps({"to": "a@b.fr", "subject": "x"}))
    _age(tmp_path / "lettre.pdf", tmp_path / "lettre.json")
    assert (await watcher.scan()).sent == ["lettre.pdf"]


@pytest.mark.parametrize(
    ("sidecar", "reason"),
    [
        (b"{not json", "n'est pas un JSON valide (ligne 1"),
        ({"subject": "x"}, "'to' doit être une liste d'adresses e-mail"),
        ({"to": ["pas une adresse"], "subject": "x"}, "'to' contient autre chose qu'une adresse e-mail"),
        ({"to": ["a@b.fr"]}, "'subject' est absent ou vide"),
        ({"to": ["a@b.fr"], "subject": "x\u2028Bcc: e@v.fr"}, "'subject' doit tenir sur une ligne"),
        ({"to": ["a@b.fr"], "subject": "x\x0cBcc: e@v.fr"}, "'subject' doit tenir sur une ligne"),
        ({"to": ["a@b.fr"], "subject": "x\x85Bcc: e@v.fr"}, "'subject' doit tenir sur une ligne"),
        ({"to": ["a@b.fr"], "subject": "x", "too": 1}, "clé 'too' inconnue"),
        ({"to": ["a@b.fr"], "subject": "x", "xdm": True}, "'xdm' exige 'patient_id'"),
        ({"to": ["a@b.fr"], "subject": "x", "xdm": True, "patient_id": "P-99"}, "patient 'P-99' introuvable"),
    ],
)
async def test_bad_sidecar_goes_to_failed_with_a_reason(tmp_path: Path, sidecar, reason: str) -> None:
    outbox = Outbox()
    watcher = WatchFolder(tmp_path, outbox, patients=_patients, author=AUTHOR)
    _age(*_drop(tmp_path, "CR.pdf", PDF, sidecar))
    result = await watcher.scan()
    assert result.failed == ["CR.pdf"] and outbox.drafts == []
    failed = tmp_path / "failed"
    assert sorted(p.name for p in failed.iterdir()) == ["CR.pdf", "CR.pdf.error.txt", "CR.pdf.json"]
    text = (failed / "CR.pdf.error.txt").read_text("utf-8")
    assert reason in text and len(text.splitlines()) == 2  # a date and one readable line


async def test_send_failure_goes_to_failed(tmp_path: Path) -> None:
    watcher = WatchFolder(tmp_path, Outbox(TransportError("le serveur a refusé le destinataire")))
    _age(*_drop(tmp_path, "CR.pdf", PDF, GOOD))
    assert (await watcher.scan()).failed == ["CR.pdf"]
    assert "non envoyé : le serveur a refusé le destinataire" in (
        tmp_path / "failed" / "CR.pdf.error.txt"
    ).read_text("utf-8")


async def test_a_letter_kept_in_the_outbox_is_not_sent_twice(tmp_path: Path) -> None:
    """The server was away: the letter waits in the durable outbox, which retries it; the pair moves to sent/
    so that the next scan does not queue a second copy."""
    from core.mail.send import NotSent

    watcher = WatchFolder(tmp_path, Outbox(NotSent("serveur injoignable", "entry-1", permanent=False)))
    _age(*_drop(tmp_path, "CR.pdf", PDF, GOOD))
    report = await watcher.scan()
    assert report.sent == ["CR.pdf"] and report.failed == []
    assert (await watcher.scan()).sent == []
    assert sorted(p.name for p in (tmp_path / "sent").iterdir()) == ["CR.pdf", "CR.pdf.json"]


async def test_orphan_sidecar_is_set_aside_after_a_while(tmp_path: Path) -> None:
    watcher = WatchFolder(tmp_path, Outbox(), orphan_seconds=30)
    side = tmp_path / "CR.pdf.json"
    side.write_text(json.dumps(GOOD))
    assert (await watcher.scan()).waiting == 1
    _age(side, seconds=120)
    assert (await watcher.scan()).failed == ["CR.pdf.json"]
    assert "aucun compte rendu à côté de CR.pdf.json" in (
        tmp_path / "failed" / "CR.pdf.json.error.txt"
    ).read_text("utf-8")


async def test_same_name_twice_never_overwrites_in_sent(tmp_path: Path) -> None:
    outbox = Outbox()
    watcher = WatchFolder(tmp_path, outbox)
    for content in (PDF, PDF + b"\n"):
        _age(*_drop(tmp_path, "CR.pdf", content, GOOD))
        assert (await watcher.scan()).sent == ["CR.pdf"]
    assert len(list((tmp_path / "sent").iterdir())) == 4


def test_sidecar_accepts_a_bom_and_a_single_address() -> None:
    meta = parse_sidecar(b"\xef\xbb\xbf" + json.dumps({"to": "a@b.fr", "subject": "x"}).encode(), "s.json")
    assert meta.to == ("a@b.fr",) and meta.xdm is False


# -- hostile folder: whoever can write into it must not make missive send another file --------------------------
SECRET = b"root:$6$not-for-the-colleague$:19000:0:99999:7:::\n"


def _swap_after_scan(monkeypatch, name: str, swap) -> None:
    """Run ``swap`` right after the scan judged ``name`` complete, before missive opens it."""
    original = WatchFolder._stable

    def stable(self, candidate, now, before):
        result = original(self, candidate, now, before)
        if result and candidate == name:
            swap()
        return result

    monkeypatch.setattr(WatchFolder, "_stable", stable)


async def test_a_report_swapped_for_a_symlink_after_the_scan_is_not_read(tmp_path: Path, monkeypatch) -> None:
    folder, secret = tmp_path / "watch", tmp_path / "shadow"
    folder.mkdir()
    secret.write_bytes(SECRET)
    outbox = Outbox()
    report, side = _drop(folder, "CR.pdf", PDF, GOOD)
    _age(report, side)

    def swap() -> None:
        report.unlink()
        report.symlink_to(secret)

    _swap_after_scan(monkeypatch, "CR.pdf", swap)
    result = await WatchFolder(folder, outbox).scan()
    assert result.failed == ["CR.pdf"] and outbox.drafts == []
    assert "CR.pdf est devenu un lien symbolique" in (folder / "failed" / "CR.pdf.error.txt").read_text()
    assert (folder / "failed" / "CR.pdf").is_symlink()  # the link itself was moved, its target left alone
    assert secret.read_bytes() == SECRET


@pytest.mark.parametrize("kind", ["other file", "fifo", "hard link"])
async def test_a_report_replaced_after_the_scan_is_not_sent(tmp_path: Path, monkeypatch, kind: str) -> None:
    folder, secret = tmp_path / "watch", tmp_path / "shadow"
    folder.mkdir()
    secret.write_bytes(SECRET)
    outbox = Outbox()
    report, side = _drop(folder, "CR.pdf", PDF, GOOD)
    _age(report, side)

    def swap() -> None:
        report.unlink()
        if kind == "other file":
            report.write_bytes(SECRET)
        elif kind == "fifo":
            os.mkfifo(report)  # opening it must not hang the folder
        else:
            os.link(secret, report)

    _swap_after_scan(monkeypatch, "CR.pdf", swap)
    result = await WatchFolder(folder, outbox).scan()
    assert result.failed == ["CR.pdf"] and outbox.drafts == []
    reason = (folder / "failed" / "CR.pdf.error.txt").read_text()
    assert "CR.pdf" in reason and ("remplacé" in reason or "n'est pas un fichier ordinaire" in reason)


async def test_a_hard_link_dropped_in_the_folder_is_refused(tmp_path: Path) -> None:
    folder, secret = tmp_path / "watch", tmp_path / "shadow"
    folder.mkdir()
    secret.write_bytes(SECRET)
    outbox = Outbox()
    os.link(secret, folder / "CR.pdf")
    (folder / "CR.pdf.json").write_text(json.dumps(GOOD))
    _age(folder / "CR.pdf", folder / "CR.pdf.json")
    assert (await WatchFolder(folder, outbox).scan()).failed == ["CR.pdf"]
    assert outbox.drafts == []
    assert "plusieurs noms" in (folder / "failed" / "CR.pdf.error.txt").read_text()


@pytest.mark.parametrize("sub", ["sent", "failed"])
async def test_a_symlinked_sent_or_failed_folder_stops_the_scan_before_sending(
    tmp_path: Path, sub: str
) -> None:
    folder, elsewhere = tmp_path / "watch", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / sub).symlink_to(elsewhere)
    outbox = Outbox()
    _age(*_drop(folder, "CR.pdf", PDF, GOOD))
    with pytest.raises(BadInput, match=f"{sub} n'est pas un vrai dossier"):
        await WatchFolder(folder, outbox).scan()
    assert outbox.drafts == [] and list(elsewhere.iterdir()) == []
    assert (folder / "CR.pdf").exists()  # left where it was


async def test_a_planted_error_file_symlink_is_never_followed(tmp_path: Path) -> None:
    folder, victim = tmp_path / "watch", tmp_path / "victim.txt"
    (folder / "failed").mkdir(parents=True)
    victim.write_text("précieux\n")
    (folder / "failed" / "CR.pdf.error.txt").symlink_to(victim)
    (folder / "failed" / "CR.pdf").symlink_to(victim)
    _age(*_drop(folder, "CR.pdf", PDF, b"{not json"))
    result = await WatchFolder(folder, Outbox()).scan()
    assert victim.read_text() == "précieux\n"
    [label] = result.failed
    assert label != "CR.pdf" and (folder / "failed" / label).read_bytes() == PDF
    errors = [
        p for p in (folder / "failed").iterdir() if p.name.endswith(".error.txt") and not p.is_symlink()
    ]
    [error] = errors
    assert "n'est pas un JSON valide" in error.read_text()
    assert (error.stat().st_mode & 0o777) == 0o600


async def test_a_deeply_nested_sidecar_fails_alone_and_the_next_report_is_sent(tmp_path: Path) -> None:
    outbox = Outbox()
    _age(*_drop(tmp_path, "A.pdf", PDF, b"[" * 100_000))
    _age(*_drop(tmp_path, "B.pdf", PDF, b'{"to": ' + b"[" * 50_000 + b'"a@b.fr"' + b"]" * 50_000 + b"}"))
    _age(*_drop(tmp_path, "C.pdf", PDF, GOOD))
    result = await WatchFolder(tmp_path, outbox).scan()
    assert sorted(result.failed) == ["A.pdf", "B.pdf"] and result.sent == ["C.pdf"]
    for name in ("A", "B"):
        assert "imbrique trop de [ ] ou { }" in (tmp_path / "failed" / f"{name}.pdf.error.txt").read_text()
    assert [d.attachments[0].filename for d in outbox.drafts] == ["C.pdf"]
    for sub in ("sent", "failed"):  # created by missive: private
        assert ((tmp_path / sub).stat().st_mode & 0o777) == 0o700


async def test_a_300_mb_sidecar_is_not_read(tmp_path: Path) -> None:
    import tracemalloc

    outbox = Outbox()
    report, side = _drop(tmp_path, "A.pdf", PDF, b"")
    with open(side, "wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    _age(report, side)
    _age(*_drop(tmp_path, "B.pdf", PDF, GOOD))
    tracemalloc.start()
    try:
        result = await WatchFolder(tmp_path, outbox).scan()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.failed == ["A.pdf"] and result.sent == ["B.pdf"]
    assert "A.pdf.json dépasse 1 Mo" in (tmp_path / "failed" / "A.pdf.error.txt").read_text()
    assert peak < 20 * 1024 * 1024  # the 300 MB were never loaded


async def test_an_unexpected_error_sets_one_pair_aside_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch
) -> None:
    import core.watchfolder as watchfolder

    real = watchfolder._content_type

    def content_type(data: bytes, name: str) -> str:
        if name == "A.pdf":
            raise RecursionError("maximum recursion depth exceeded")
        return real(data, name)

    monkeypatch.setattr(watchfolder, "_content_type", content_type)
    outbox = Outbox()
    _age(*_drop(tmp_path, "A.pdf", PDF, GOOD))
    _age(*_drop(tmp_path, "B.pdf", PDF, GOOD))
    result = await WatchFolder(tmp_path, outbox).scan()
    assert result.failed == ["A.pdf"] and result.sent == ["B.pdf"]
    assert "erreur inattendue (RecursionError)" in (tmp_path / "failed" / "A.pdf.error.txt").read_text()


async def test_a_correction_replaces_the_report_sent_before(tmp_path: Path) -> None:
    """'annule et remplace': the sidecar names the earlier report; the XDM says which entry it replaces, and
    a receiving missive replaces the filed file (tests/filing/test_replacement.py)."""
    from core.store.collection import MemoryCollection

    outbox = Outbox()
    sent = MemoryCollection("xdm_documents")
    watcher = WatchFolder(tmp_path, outbox, patients=_patients, author=AUTHOR, sent_documents=sent)
    _age(*_drop(tmp_path, "CR_41.pdf", PDF, {**GOOD, "xdm": True, "document_id": "CR-41"}))
    assert (await watcher.scan()).sent == ["CR_41.pdf"]
    _age(*_drop(tmp_path, "CR_41b.pdf", PDF, {**GOOD, "xdm": True, "document_id": "CR-41b", "replaces": "CR-41"}))
    assert (await watcher.scan()).sent == ["CR_41b.pdf"]
    first, second = (read_document(d.attachments[1].data, "IHE_XDM.ZIP").documents[0] for d in outbox.drafts)
    assert first.entry_id and second.replaces == first.entry_id and second.entry_id != first.entry_id
    _age(*_drop(tmp_path, "CR_9.pdf", PDF, {**GOOD, "xdm": True, "replaces": "CR-unknown"}))
    result = await watcher.scan()
    assert result.failed == ["CR_9.pdf"] and len(outbox.drafts) == 2  # an unknown report: nothing sent
    reason = (tmp_path / "failed" / "CR_9.pdf.error.txt").read_text("utf-8")
    assert "aucun compte rendu CR-unknown n'a été envoyé par missive" in reason
    with pytest.raises(BadInput, match="'replaces' exige 'xdm'"):
        parse_sidecar(json.dumps({**GOOD, "replaces": "CR-41"}).encode(), "x.json")


async def test_two_daemons_watching_one_folder_send_a_report_once(tmp_path: Path) -> None:
    """Two `missive daemon` on one profile (the second runs without the control socket), or two profiles set
    to one folder: while the first sends a pair (an SMTP round, seconds), the second's scan saw the same
    pair still there and sent it too."""
    sent: list[Draft] = []
    other = WatchFolder(tmp_path, lambda d: _record(sent, d), patients=_patients, author=AUTHOR)
    during: list[object] = []

    async def send(draft: Draft) -> None:
        during.append(await other.scan())  # the other daemon's round comes while this one is sending
        sent.append(draft)

    first = WatchFolder(tmp_path, send, patients=_patients, author=AUTHOR)
    report, side = _drop(tmp_path, "CR_43.pdf", PDF, GOOD)
    _age(report, side)
    result = await first.scan()
    assert result.sent == ["CR_43.pdf"]
    assert len(sent) == 1, "the report was sent twice"
    assert during[0].sent == [] and during[0].failed == []
    assert sorted(p.name for p in (tmp_path / "sent").iterdir()) == ["CR_43.pdf", "CR_43.pdf.json"]
    assert not (tmp_path / "failed").exists() or not any((tmp_path / "failed").iterdir())
    # once the first is done, the other scans as usual
    report, side = _drop(tmp_path, "CR_44.pdf", PDF, GOOD)
    _age(report, side)
    assert (await other.scan()).sent == ["CR_44.pdf"] and len(sent) == 2


async def _record(sent: list[Draft], draft: Draft) -> None:
    sent.append(draft)


@pytest.mark.skipif(os.name == "nt", reason="names are Unicode on Windows")
async def test_a_report_named_in_latin1_is_sent_under_its_name(tmp_path: Path) -> None:
    """A practice software on a Windows share writes 'CR_résultat.pdf' in Latin-1 / Windows-1252: os.fsdecode
    gives its é as a lone surrogate, and the letter failed with UnicodeEncodeError (the pair went to failed/
    with 'erreur inattendue', and `missive send --attach` said 'erreur interne')."""
    import email

    from core.mail.account import Account
    from core.mail.compose import compose

    account = Account(name="c", email="dr@cabinet.test", imap_host="h", smtp_host="h", user="u", password="p")
    letters: list[bytes] = []

    async def send(draft: Draft) -> None:
        letters.append(compose(draft, account).data)  # what the façade does first with a draft

    name = os.fsdecode(b"CR_r\xe9sultat.pdf")
    report, side = _drop(tmp_path, name, PDF, GOOD)
    _age(report, side)
    result = await WatchFolder(tmp_path, send, patients=_patients, author=AUTHOR).scan()
    assert result.failed == [] and len(letters) == 1
    [part] = [p for p in email.message_from_bytes(letters[0]).walk() if p.get_filename()]
    assert part.get_filename() == "CR_résultat.pdf" and part.get_payload(decode=True) == PDF
    assert sorted(os.listdir(tmp_path / "sent")) == sorted([name, f"{name}.json"])


async def test_a_folder_set_in_two_profiles_sends_only_for_the_first(tmp_path: Path) -> None:
    """Two doctors on one PC, each with a profile, both set to the practice software's one export folder: a
    report dropped for one left from whichever daemon scanned first, from that doctor's address, signed by
    them and naming them as the CDA's author. The folder is the first profile's; the other sends nothing from
    it and says so (the marker to delete if the folder is now its own)."""
    from core.watchfolder import OWNER_FILE

    theirs: list[Draft] = []
    mine: list[Draft] = []
    first = WatchFolder(tmp_path, lambda d: _record(mine, d), patients=_patients, author=AUTHOR, owner="a1")
    other = WatchFolder(tmp_path, lambda d: _record(theirs, d), patients=_patients, author=AUTHOR, owner="b2")
    assert (await first.scan()).sent == []  # the first scan claims the folder
    marker = tmp_path / OWNER_FILE
    assert marker.stat().st_mode & 0o777 == 0o600
    report, side = _drop(tmp_path, "CR_45.pdf", PDF, GOOD)
    _age(report, side)
    with pytest.raises(BadInput) as refused:
        await other.scan()
    assert str(refused.value) == (
        f"le dossier surveillé {tmp_path} est celui d'un autre profil missive (un autre médecin de ce poste ?) : "
        "rien n'en part d'ici, sinon ses comptes rendus partiraient sous votre nom ; donnez à chaque profil son "
        f"propre dossier ([watch] folder), ou, si ce dossier est bien le vôtre désormais, supprimez {marker}"
    )
    assert theirs == [] and report.exists() and side.exists()  # nothing sent, nothing moved
    assert (await first.scan()).sent == ["CR_45.pdf"] and len(mine) == 1
    # the marker deleted (the folder given to the other profile): it is the other's from then on
    marker.unlink()
    report, side = _drop(tmp_path, "CR_46.pdf", PDF, GOOD)
    _age(report, side)
    assert (await other.scan()).sent == ["CR_46.pdf"] and len(theirs) == 1
    with pytest.raises(BadInput):
        await first.scan()


def test_a_profile_is_named_by_the_same_mark_in_every_process_and_another_by_another(tmp_path: Path) -> None:
    from core.mailroom import Mailroom
    from core.watchfolder import profile_mark

    one = Mailroom.create(tmp_path / "one", "phrase de passe de test assez longue")
    again = Mailroom.open(tmp_path / "one", "phrase de passe de test assez longue")
    two = Mailroom.create(tmp_path / "two", "phrase de passe de test assez longue")
    assert profile_mark(one.profile) == profile_mark(again.profile) != profile_mark(two.profile)
    again.change_passphrase("une autre phrase de passe assez longue")
    assert profile_mark(
        Mailroom.open(tmp_path / "one", "une autre phrase de passe assez longue").profile
    ) == (profile_mark(one.profile))
