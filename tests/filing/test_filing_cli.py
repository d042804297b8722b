"""`missive file`, `missive documents list|undo|reject`, `missive filing presets` on an encrypted profile."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.mail.messages import MessageStore
from core.model import Candidate, MatchResult

DATA = Path(__file__).resolve().parent.parent / "data" / "filing"
RAW = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
PASS = "correct horse battery staple"


@pytest.fixture
def lgc(profile, tmp_path: Path) -> Path:
    """A profile whose [filing] folder is a fresh import folder, holding one message with one result."""
    folder = tmp_path / "lgc"
    toml = profile.path / "profile.toml"
    toml.write_text(toml.read_text("utf-8").replace('folder = ""', f'folder = "{folder}"', 1), "utf-8")
    return folder


def _open(profile_dir: Path):
    from core.mailroom import Mailroom

    return Mailroom.open(profile_dir, PASS)


def _message(mailroom) -> str:
    store = MessageStore(mailroom.profile)
    state = store.folder_state("cabinet", "INBOX")
    state.uidvalidity = 1
    [mid] = store.store_new(state, [(1, ["\\Seen"], b"Subject: resultats\r\n\r\nx\r\n", {})])
    return mid


def _add(mailroom, decision: str, message_id: str):
    doc = read_document(RAW, "res.hpr").documents[0]
    match = MatchResult(decision, "p-1" if decision == "auto" else None, (Candidate("p-1", 0.9),))
    return mailroom.documents.ingest(doc, match, message_id=message_id, attachment="res.hpr", raw=RAW)


def test_review_document_filed_from_the_cli_then_undone(profile, profile_dir, lgc, cli) -> None:
    mailroom = _open(profile_dir)
    mid = _message(mailroom)
    waiting = _add(mailroom, "review", mid)
    assert waiting.state == "waiting"

    code, out, err = cli("documents", "list", "--json")
    assert code == 0, err
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["id"] == waiting.id and row["state"] == "waiting" and row["decision"] == "review"
    # nothing taken back out of the import folder yet; and no « quarantined », a letter's word in messages list
    assert row["withdrawn_copy_kept"] is False and "quarantined" not in row
    assert waiting.identity.family_name not in out  # the identity stays in the encrypted store

    code, out, err = cli("file", waiting.id, "--patient", "p-1")
    assert code == 0, err
    [filed] = list(lgc.iterdir())
    assert filed.read_bytes() == RAW and "p-1" in filed.name
    mailroom = _open(profile_dir)
    assert "$Filed" in mailroom.messages.get(mid).flags
    actions = [r["action"] for r in _audit(mailroom)]
    assert "file" in actions

    code, out, err = cli("documents", "undo", waiting.id)
    assert code == 0, err
    assert "conservé chiffré" in out
    assert list(lgc.iterdir()) == []
    mailroom = _open(profile_dir)
    assert mailroom.documents.get(waiting.id).state == "waiting"
    assert mailroom.documents.quarantined(waiting.id) == RAW  # kept, encrypted in the profile
    code, out, err = cli("documents", "list", "--json")
    assert code == 0, err
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["withdrawn_copy_kept"] is True and "quarantined" not in row
    assert "$Filed" not in mailroom.messages.get(mid).flags
    assert "undo" in [r["action"] for r in _audit(mailroom)]
    # who did it, and through what: the computer's user (the secretary's or the doctor's session), at the
    # command line; never "cli" alone, which says no one
    code, out, err = cli("audit", "list")
    assert code == 0, err
    lines = [line.split()[2:5] for line in out.splitlines() if line.endswith(waiting.id)]
    assert [words for words in lines if words[-1] in ("file", "undo")] == [
        [getpass.getuser(), "(cli)", action] for action in ("file", "undo")
    ]
    # and it can be filed again from there
    code, out, err = cli("file", waiting.id, "--patient", "p-1")
    assert code == 0, err
    assert [p.read_bytes() for p in lgc.iterdir()] == [RAW]


def _clear_copies(root: Path, secrets: list[bytes]) -> list[str]:
    """Files under ``root`` holding any of ``secrets`` (a result's text, a patient's name) in clear."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}: {s[:12]!r}" for s in secrets if s in data]
    return found


def test_after_an_undo_no_clear_copy_of_the_result_is_left(
    profile, profile_dir, lgc, cli, tmp_path, monkeypatch
) -> None:
    """The issue's check: after `documents undo`, no file in the profile or under $HOME holds the result's
    text or the patient's name (the undone file used to land in <profile>/quarantine in clear)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    mailroom = _open(profile_dir)
    waiting = _add(mailroom, "review", _message(mailroom))
    assert cli("file", waiting.id, "--patient", "p-1")[0] == 0
    [filed] = list(lgc.iterdir())
    code, _, err = cli("documents", "undo", waiting.id)
    assert code == 0, err
    assert not filed.exists() and list(lgc.iterdir()) == []
    identity = waiting.identity
    secrets = [RAW, RAW[200:260], b"GLYCEMIE"] + [
        text.encode(codec)
        for text in (identity.family_name, identity.birth_name)
        if text
        for codec in ("utf-8", "cp1252")
    ]
    assert any(s in RAW for s in secrets[1:])  # the probes do occur in the result
    assert _clear_copies(profile_dir, secrets) == []
    assert _clear_copies(home, secrets) == []
    assert not (profile_dir / "quarantine").exists()


def test_a_clear_quarantine_left_by_an_older_version_is_encrypted_and_removed(
    profile, profile_dir, lgc, cli
) -> None:
    mailroom = _open(profile_dir)
    waiting = _add(mailroom, "review", _message(mailroom))
    old = profile_dir / "quarantine" / "20240314_LAB_p-1_x.hpr"
    old.parent.mkdir()
    old.write_bytes(RAW)
    doc = mailroom.documents.docs.get(waiting.id)
    mailroom.documents.docs.put(waiting.id, {**doc, "quarantine_path": str(old)})
    reopened = _open(profile_dir)
    assert reopened.documents.quarantined(waiting.id) == RAW
    assert not (profile_dir / "quarantine").exists()


def _audit(mailroom) -> list[dict]:
    return mailroom.audit.records()


def test_auto_document_is_filed_on_arrival(profile, profile_dir, lgc, cli) -> None:
    mailroom = _open(profile_dir)
    filed = _add(mailroom, "auto", _message(mailroom))
    assert filed.state == "filed" and Path(filed.filed_path).parent == lgc
    code, out, _ = cli("documents", "list")
    assert code == 0 and "classé" in out and "patient=p-1" in out


def test_errors_are_one_line(profile, profile_dir, lgc, cli) -> None:
    code, _, err = cli("file", "d-0000", "--patient", "p-1")
    assert code == 1 and "documents list" in err and len(err.strip().splitlines()) == 1
    mailroom = _open(profile_dir)
    doc = _add(mailroom, "review", "")
    code, _, err = cli("documents", "undo", doc.id)
    assert code == 2 and "n'est pas classé" in err
    code, _, err = cli("documents", "reject", doc.id)
    assert code == 0
    code, out, _ = cli("documents", "list", "--json")
    assert out == ""  # rejected documents are left out unless --all
    code, out, err = cli("documents", "undo", doc.id)  # a rejection taken back: no file was ever written
    assert code == 0, err
    assert out.startswith("rejet annulé") and "dossier d'import" not in out
    code, out, _ = cli("documents", "list", "--json")
    assert [json.loads(line)["state"] for line in out.splitlines()] == ["waiting"]


def test_presets_listing(cli) -> None:
    code, out, _ = cli("filing", "presets", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 14 and not any(r["verified"] for r in rows)
    code, out, _ = cli("filing", "presets")
    assert "Mon logiciel médical" in out and "non vérifié" in out


def test_a_document_set_aside_is_filed_only_once_taken_back(profile, profile_dir, lgc, cli) -> None:
    """A rejected document (set aside by a person) is not filed by `missive file`: one French line says to take
    it back first (`missive documents undo`), as the app offers no p on it; nothing is written or changed.
    Taken back, it is filed."""
    mailroom = _open(profile_dir)
    doc = _add(mailroom, "review", _message(mailroom))
    assert cli("documents", "reject", doc.id)[0] == 0
    before = len(_audit(_open(profile_dir)))
    code, out, err = cli("file", doc.id, "--patient", "p-1")
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1
    assert "mis de côté (écarté)" in err and f"missive documents undo {doc.id}" in err and "Traceback" not in err
    reopened = _open(profile_dir)
    assert reopened.documents.get(doc.id).state == "rejected" and len(_audit(reopened)) == before
    assert not lgc.exists() or not any(lgc.iterdir())  # nothing in the practice software's import folder
    assert cli("documents", "undo", doc.id)[0] == 0
    code, out, err = cli("file", doc.id, "--patient", "p-1")
    assert code == 0, err
    assert _open(profile_dir).documents.get(doc.id).state == "filed" and len(list(lgc.iterdir())) == 1


def test_documents_list_says_why_each_waiting_document_waits(profile, profile_dir, lgc, cli) -> None:
    """The plain listing gives the core's one-line reason per waiting document (it said nothing beyond an
    envelope conflict; only --json carried the candidates' reasons): the best candidate's id, score and reasons,
    how many others. Ids and reasons only, never the identity."""
    mailroom = _open(profile_dir)
    doc = read_document(RAW, "res.hpr").documents[0]
    match = MatchResult("review", None, (Candidate("p-1", 0.9, ("prénom différent",)), Candidate("p-2", 0.6)))
    waiting = mailroom.documents.ingest(doc, match, message_id=_message(mailroom), attachment="res.hpr", raw=RAW)
    code, out, err = cli("documents", "list")
    assert code == 0, err
    [line] = out.splitlines()
    assert line.startswith(waiting.id)
    assert "⚠ à vérifier : p-1 90% (prénom différent), et 1 autre(s) candidat(s)" in line
    assert waiting.identity.family_name not in out + err
    assert err == ""  # the import folder is set: nothing more to say


def test_with_no_filing_folder_documents_list_says_nothing_is_filed_and_how_to_set_it(
    profile, profile_dir, cli
) -> None:
    """No [filing] folder: every result waits. The listing says so first, with the setting to set and the
    suggested folder (on the error stream: the lines on the output stay one per document); of a result whose
    patient was found, its line says it is filed once the folder is set."""
    mailroom = _open(profile_dir)
    waiting = _add(mailroom, "auto", _message(mailroom))
    assert waiting.state == "waiting"
    code, out, err = cli("documents", "list")
    assert code == 0, err
    assert err.startswith("⚠ rien n'est classé : réglez [filing] folder (le dossier d'import) dans profile.toml")
    assert "~/HPRIM/import" in err
    [line] = out.splitlines()
    assert "⚠ patient p-1 trouvé : classé automatiquement dès que [filing] folder est réglé" in line


def test_with_automatic_filing_off_no_result_is_promised_to_be_filed_automatically(profile, profile_dir, cli) -> None:
    """`[filing] auto = false` and no folder yet: a result whose patient was found waits for a person even once
    the folder is set, so its line names the candidate as any waiting result does, never « classé
    automatiquement dès que … » (sec11)."""
    toml = profile.path / "profile.toml"
    text = toml.read_text("utf-8")
    assert "\nauto = true" in text
    toml.write_text(text.replace("\nauto = true", "\nauto = false", 1), "utf-8")
    mailroom = _open(profile_dir)
    _add(mailroom, "auto", _message(mailroom))
    code, out, err = cli("documents", "list")
    assert code == 0, err
    [line] = out.splitlines()
    assert "classé automatiquement" not in line and "p-1 90%" in line, line
