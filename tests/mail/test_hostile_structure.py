"""A letter whose MIME structure is made unreadable on purpose (5,000 nested multiparts, 3,000 letters carried
one inside the other: the parser gives up) from outside the trust space.

The sync hook stored such a letter "without analysis" and returned before the trust policy judged it: it landed
in Réception, not Quarantaine, and the reader did not say it came from outside the trust space. It is now
judged by its header's From all the same; a sender the policy accepts keeps it in Réception. And the reader
showed it as a blank letter: it now says the letter cannot be read."""

from __future__ import annotations

import json
from pathlib import Path


def _head(n: int, sender: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: dr@cabinet.mssante.fr\r\nSubject: t{n}\r\n"
        f"Message-ID: <s{n}@x>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
    ).encode()


def _nested_multiparts(n: int, sender: str) -> bytes:
    body = b"x\r\n"
    for i in range(5000):
        body = f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode() + body
        body += f"\r\n--b{i}--\r\n".encode()
    return _head(n, sender) + body


def _carried_letters(n: int, sender: str) -> bytes:
    inner = _head(n, sender) + b"Content-Type: text/plain\r\n\r\ncorps\r\n"
    for _ in range(3000):
        inner = _head(n, sender) + b"Content-Type: message/rfc822\r\n\r\n" + inner
    return inner


def _plain(n: int, sender: str) -> bytes:
    return _head(n, sender) + b"Content-Type: text/plain\r\n\r\ncorps\r\n"


def _listed(cli, *args: str) -> dict[str, dict]:
    code, out, err = cli("messages", "list", "--json", *args)
    assert code == 0, err
    return {row["subject"]: row for row in map(json.loads, out.splitlines())}


def test_an_unreadable_structure_from_outside_the_trust_space_is_quarantined(
    cli, profile_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    outsider, colleague = "pirate@evil.example", "dr.martin@confiance.exemple.fr"
    for n, make, sender in (
        (1, _plain, outsider),
        (2, _nested_multiparts, outsider),
        (3, _carried_letters, outsider),
        (4, _nested_multiparts, colleague),
    ):
        (root / "new" / f"{n}.a.host").write_bytes(make(n, sender))
    assert cli("init")[0] == 0
    toml = profile_dir / "profile.toml"
    toml.write_text(toml.read_text("utf-8").replace("allow = []", 'allow = ["confiance.exemple.fr"]', 1), "utf-8")
    code, _out, err = cli(
        "account", "add", "local", "--email", "dr@cabinet.mssante.fr", "--maildir", str(root)
    )
    assert code == 0, err
    assert cli("sync")[0] == 0

    rows = _listed(cli)
    assert {s: r["quarantined"] for s, r in rows.items()} == {"t1": True, "t2": True, "t3": True, "t4": False}
    assert set(_listed(cli, "--folder", "Quarantaine")) == {"t1", "t2", "t3"}
    for subject in ("t2", "t3"):
        code, shown, err = cli("messages", "show", rows[subject]["id"])
        assert code == 0, err
        assert "Hors espace de confiance" in shown, subject
        assert "le message est illisible (format MIME invalide)" in shown, subject  # was a blank letter
