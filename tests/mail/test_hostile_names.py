"""A letter from anyone in the MSSanté space, synced from its account like any other, whose subject, sender's
name, body and attachment's name (RFC 2231) carry bidirectional controls and C1 controls.

A right-to-left override turns what follows around on a terminal or in a file manager that applies the bidi
algorithm: an attachment named 'CR_<RLO>fdp.exe' reads 'CR_exe.pdf'. ``printable`` replaced C0 and C1
controls but not these; and ``--json`` lines carried C1 controls (U+009B is CSI) and bidi controls as they
were, json escaping only C0 controls."""

from __future__ import annotations

import json
from pathlib import Path

from core.model import BIDI_CONTROLS, printable

RLO = "\u202e"
SHOWN = ("\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", RLO, "\u2066", "\u2067", "\u2068",
         "\u2069", "\x9b", "\x7f")  # fmt: skip

LETTER = (
    b"From: =?utf-8?q?Labo_=E2=80=AEnimda?= <labo@labo.mssante.fr>\r\n"
    b"To: dr@cabinet.mssante.fr\r\n"
    b"Subject: =?utf-8?q?R=C3=A9sultat_=E2=80=AEfdp.exe_=E2=81=A6x=E2=81=A9_=C2=9B2J?=\r\n"
    b"Message-ID: <bidi@labo.mssante.fr>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0100\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + "Voir la pièce \u2067jointe\u2069 \u200f.\r\n".encode()
    + b"--b\r\nContent-Type: application/octet-stream\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''CR_%E2%80%AEfdp.exe\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nTVo=\r\n--b--\r\n"
)


def _clean(text: str) -> bool:
    return not any(c in text for c in SHOWN)


def test_printable_replaces_every_bidi_control() -> None:
    assert {chr(c) for c in BIDI_CONTROLS} == set(SHOWN[:-2])
    assert printable(f"CR_{RLO}fdp.exe") == "CR_\ufffdfdp.exe"
    assert printable("a\u2066b\u2069\u200ec", one_line=True) == "a\ufffdb\ufffd\ufffdc"
    assert printable("Résultats — μg/L ≤ 5 العربية עברית") == "Résultats — μg/L ≤ 5 العربية עברית"


def test_a_letter_of_bidi_and_c1_controls_writes_none_on_the_command_line(cli, tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1.a.host").write_bytes(LETTER)
    assert cli("init")[0] == 0
    code, _out, err = cli(
        "account", "add", "local", "--email", "dr@cabinet.mssante.fr", "--maildir", str(root)
    )
    assert code == 0, err
    assert cli("sync")[0] == 0

    code, listed, err = cli("messages", "list")
    assert code == 0, err
    assert "fdp.exe" in listed and _clean(listed), ascii(listed)

    code, lines, err = cli("messages", "list", "--json")
    assert code == 0, err
    assert _clean(lines), ascii(lines)
    row = json.loads(lines.splitlines()[0])  # the same JSON: a program reading it gets the letter's own words
    assert RLO in row["subject"] and "\x9b" in row["subject"]

    code, shown, err = cli("messages", "show", row["id"])
    assert code == 0, err
    assert "fdp.exe" in shown and "jointe" in shown and _clean(shown), ascii(shown)

    code, shown, err = cli("messages", "show", row["id"], "--json")
    assert code == 0, err
    assert _clean(shown), ascii(shown)
    assert json.loads(shown)["attachments"][0]["filename"] == f"CR_{RLO}fdp.exe"
