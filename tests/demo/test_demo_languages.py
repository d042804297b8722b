"""`missive --lang en` speaks English and `missive` French, on the demo profile: errors, help, match reasons,
signature verdicts and the lines of the commands a doctor runs. No sentence of the other language's
catalogues appears in the output (the catalogues' fixed words are what is looked for, so the check holds
whatever the data shown)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from core.demo.mail import LAB_DESK

ROOT = Path(__file__).resolve().parent.parent.parent


def _fragments(lang: str) -> set[str]:
    """The fixed words of every text of ``lang`` (interface and core catalogues) that the other language
    writes differently: runs of at least 14 characters between the placeholders."""
    other = "fr" if lang == "en" else "en"
    found: dict[str, set[str]] = {}
    for language in (lang, other):
        words: set[str] = set()
        for folder in ("tui/locale", "core/locale"):
            catalogue = json.loads((ROOT / folder / f"{language}.json").read_text("utf-8"))
            for text in catalogue.values():
                for part in re.split(r"\{[^}]*\}", text):
                    part = part.strip(" :;,.()«»—-\n")
                    if len(part) >= 14:
                        words.add(part)
        found[language] = words
    return found[lang] - found[other]


FRENCH, ENGLISH = _fragments("fr"), _fragments("en")


@pytest.fixture
def run(built_demo, monkeypatch, capsys):
    """``missive --profile <demo> ARGS`` in-process; (exit code, stdout + stderr)."""
    from tui.cli import main

    monkeypatch.setenv("MISSIVE_PASSPHRASE", "demo")

    def go(*args: str) -> tuple[int, str]:
        try:
            code = main(["--profile", str(built_demo.profile), *args])
        except SystemExit as exc:  # --help
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out + err

    return go


def _lab_desk_letter(run) -> str:
    code, out = run("messages", "list", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return next(r["id"] for r in rows if LAB_DESK in r["from"])


def _swapped_result(run, folder: Path) -> Path:
    """An HL7 result for a demo patient whose birth date has day and month swapped: a match to review, with
    its reasons."""
    code, out = run("patients", "list", "--json")
    assert code == 0
    for line in out.splitlines():
        p = json.loads(line)
        born = dt.date.fromisoformat(p["birth_date"]) if p.get("birth_date") else None
        if born and born.day <= 12 and born.day != born.month and p.get("given_names"):
            swapped = born.replace(month=born.day, day=born.month)
            given = p["given_names"][0] if isinstance(p["given_names"], list) else p["given_names"].split()[0]
            path = folder / "result.hl7"
            path.write_bytes(
                (
                    "MSH|^~\\&|LAB|LAB|DOC|DOC|20240101||ORU^R01|1|P|2.5\r"
                    f"PID|||9^^^LAB||{p['birth_name']}^{given}||{swapped:%Y%m%d}|{p['sex']}\r"
                    "OBR|1|||GLU\rOBX|1|NM|GLU^Glucose||5.2|mmol/L|3.9-5.8|N|||F\r"
                ).encode()
            )
            return path
    raise AssertionError("no demo patient with a day of birth under 13")


def _commands(run, tmp_path: Path) -> list[tuple[str, ...]]:
    letter = _lab_desk_letter(run)
    result = _swapped_result(run, tmp_path)
    return [
        ("messages", "list"),
        ("messages", "show", letter),
        ("match", str(result)),
        ("documents", "list"),
        ("audit", "verify"),
        ("config", "check"),
        ("trust", "show"),
        ("keys", "list"),
        ("account", "list"),
        ("parse", str(result)),
        ("outbox", "list"),
        ("outbox", "sent"),
        ("directory", "info"),
        ("filing", "presets"),
        ("patients", "import", str(tmp_path / "none.csv")),
        ("send", "--to", "x@y.test", "--subject", "s", "--body-file", str(tmp_path / "none.txt")),
        ("documents", "undo", "nope"),  # errors
        ("keys", "remove", "deadbeefdeadbeef"),
        ("smime", "verify", str(tmp_path / "missing.eml")),
        ("messages", "show", "nope"),
        ("messages",),
        ("messages", "list", "--help"),  # help
        ("match", "--help"),
        ("--help",),
    ]


def test_english_commands_show_no_french_and_french_ones_no_english(run, tmp_path) -> None:
    english, french = [], []
    for command in _commands(run, tmp_path):
        english.append((command, run("--lang", "en", *command)))
        french.append((command, run(*command)))

    for (command, (code_en, out_en)), (_, (code_fr, out_fr)) in zip(english, french, strict=True):
        assert code_en == code_fr, command
        assert out_en.strip() and out_fr.strip(), command
        assert not sorted(f for f in FRENCH if f in out_en), (command, out_en)
        assert not sorted(f for f in ENGLISH if f in out_fr), (command, out_fr)

    shown = dict(english)
    shown_fr = dict(french)
    letter_en = next(
        out for cmd, (_, out) in shown.items() if cmd[:2] == ("messages", "show") and cmd[2] != "nope"
    )
    letter_fr = next(
        out for cmd, (_, out) in shown_fr.items() if cmd[:2] == ("messages", "show") and cmd[2] != "nope"
    )
    # the signature verdict stored at sync reads in the language of the moment
    assert "the sender's address" in letter_en and "does not match the certificate" in letter_en
    assert "l'adresse de l'expéditeur" in letter_fr and "ne correspond pas au certificat" in letter_fr
    match_en = next(out for cmd, (_, out) in shown.items() if cmd[0] == "match" and "--help" not in cmd)
    match_fr = next(out for cmd, (_, out) in shown_fr.items() if cmd[0] == "match" and "--help" not in cmd)
    assert "birth date with day and month swapped" in match_en
    assert "date de naissance avec jour et mois inversés" in match_fr
    assert "no document with id nope" in shown[("documents", "undo", "nope")][1]
    assert "aucun document d'id nope" in shown_fr[("documents", "undo", "nope")][1]
    assert "Audit log intact" in shown[("audit", "verify")][1]
    assert "Journal d'audit intact" in shown_fr[("audit", "verify")][1]
