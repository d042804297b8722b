"""`missive file`, `missive documents list|undo|reject`, `missive filing presets` on an encrypted profile."""

from __future__ import annotations

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
    assert list(lgc.iterdir()) == []
    assert (profile_dir / "quarantine" / filed.name).read_bytes() == RAW
    mailroom = _open(profile_dir)
    assert mailroom.documents.get(waiting.id).state == "waiting"
    assert "$Filed" not in mailroom.messages.get(mid).flags
    assert "undo" in [r["action"] for r in _audit(mailroom)]


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


def test_presets_listing(cli) -> None:
    code, out, _ = cli("filing", "presets", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 14 and not any(r["verified"] for r in rows)
    code, out, _ = cli("filing", "presets")
    assert "Mon logiciel médical" in out and "non vérifié" in out
