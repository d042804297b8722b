"""Messages for people live in catalogues: the core raises codes with parameters, French and English texts
come from core/locale, and the command line speaks the language asked for."""

from __future__ import annotations

import ast
import functools
import json
import re
import string
from pathlib import Path

import pytest

from core import text
from core.errors import BadInput, NotFound, StoreCorrupted
from core.text import T, Text, render

ROOT = Path(__file__).resolve().parent.parent
ERRORS = {
    "MissiveError", "BadInput", "ConfigError", "NotFound", "SecurityError", "WrongPassphrase", "Locked",
    "PolicyRefused", "StoreError", "StoreCorrupted", "TransportError", "MailboxMissing", "ParseError",
    "PscError", "LoginRequired", "ZipBombRefused", "NotSent", "SmtpError",
}  # fmt: skip
HOW = (
    "raise the error with T('module.code', name=value) and add the code to core/locale/fr.json and en.json "
    "(python3 tools/i18n_convert.py does it for plain f-strings)"
)


def _fields(template: str) -> set[str]:
    return {f[1].split("!")[0].split(":")[0] for f in string.Formatter().parse(template) if f[1] is not None}


def _core_files() -> list[Path]:
    return sorted(p for p in (ROOT / "core").rglob("*.py") if "demo" not in p.parts)


def _codes_used() -> dict[str, set[str]]:
    """Each T("code", ...) written in core, with the parameter names it passes."""
    used: dict[str, set[str]] = {}
    for path in _core_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "T"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                used[str(node.args[0].value)] = {k.arg for k in node.keywords if k.arg}
    return used


def test_every_code_of_the_core_has_a_french_and_an_english_text_with_the_same_fields() -> None:
    fr, en = text.catalogue("fr"), text.catalogue("en")
    used = _codes_used()
    assert len(used) > 300
    problems = []
    for code, params in sorted(used.items()):
        if code not in fr or code not in en:
            problems.append(f"{code}: missing from {'fr' if code not in fr else 'en'}.json")
            continue
        if _fields(fr[code]) != _fields(en[code]) or not _fields(fr[code]) <= params:
            problems.append(f"{code}: fields fr {_fields(fr[code])}, en {_fields(en[code])}, given {params}")
    assert not problems, "\n".join(problems)


def test_no_error_of_the_core_is_raised_with_a_sentence_instead_of_a_code() -> None:
    sentences = []
    for path in _core_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ERRORS and isinstance(node.args[0], (ast.JoinedStr, ast.Constant)):
                sentences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not sentences, f"{HOW}:\n" + "\n".join(sentences)


def test_catalogues_are_valid_json_with_the_same_codes() -> None:
    for lang in ("fr", "en"):
        json.loads((ROOT / "core" / "locale" / f"{lang}.json").read_text(encoding="utf-8"))
    assert set(text.catalogue("fr")) == set(text.catalogue("en"))


@pytest.fixture
def english():
    text.set_language("en")
    yield
    text.set_language("fr")


def test_an_error_reads_in_the_language_chosen_when_it_is_shown(english) -> None:
    error = NotFound(T("mail.accounts.aucun-compte-nomme-voir", name="cabinet"))
    assert str(error) == "no account named cabinet (see `missive account list`)"
    text.set_language("fr")
    assert str(error) == "aucun compte nommé cabinet (voir `missive account list`)"
    assert error.text.code == "mail.accounts.aucun-compte-nomme-voir"


def test_a_nested_error_is_rendered_in_the_same_language(english) -> None:
    inner = StoreCorrupted(T("store.vault.damaged-restore-from-backup", path="/p/vault.json"))
    outer = BadInput(T("store.audit.audit-record", index=3, reason=inner))
    assert str(outer) == "audit record 3: /p/vault.json is damaged; restore it from a backup"


def test_a_sentence_stored_by_an_older_version_is_shown_as_it_is() -> None:
    assert render("signature valide, certificat de confiance") == "signature valide, certificat de confiance"
    assert str(Text.from_json("ancien texte")) == "ancien texte"
    stored = T("store.blobs.stored-file-with", blob_id="abc").to_json()
    assert str(Text.from_json(stored)) == "aucun fichier enregistré d'id 'abc'"


def test_a_stored_signature_verdict_reads_in_the_language_of_the_moment(english) -> None:
    """A verdict is stored as a code with its parameters: switching language translates old messages too, and
    a French sentence stored before verdicts were codes is recognised when the catalogue has it."""
    import json

    from core.model import SignatureStatus

    status = SignatureStatus.invalid("lab@labo.test", "CN=Lab", T("sig.cert-expired", date="01/02/2025"))
    stored = SignatureStatus.from_json(json.loads(json.dumps(status.to_json())))
    assert (stored.reason, stored.params) == ("sig.cert-expired", {"date": "01/02/2025"})
    assert stored.reason_text() == "certificate expired on 01/02/2025"
    older = SignatureStatus.from_json(
        {
            "valid": False,
            "signer": "x@y.test",
            "subject": "",
            "reason": "le message a été modifié après signature",
        }
    )
    assert older.reason_text() == "the message was changed after it was signed"
    text.set_language("fr")
    assert stored.reason_text() == "certificat expiré le 01/02/2025"
    assert older.reason_text() == "le message a été modifié après signature"


def test_the_command_line_speaks_the_language_asked_for(cli, monkeypatch) -> None:
    assert cli("init")[0] == 0
    code, _, err = cli("--lang", "en", "documents", "undo", "nope")
    assert code == 1 and err.strip() == "missive : no document with id nope (see `missive documents list`)"
    code, _, err = cli("documents", "undo", "nope", "--lang", "en")
    assert "no document with id nope" in err
    code, _, err = cli("documents", "undo", "nope")
    assert err.strip() == "missive : aucun document d'id nope (voir `missive documents list`)"
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "not it")
    assert "wrong passphrase: the profile stays locked" in cli("--lang", "en", "patients", "list")[2]
    assert "phrase de passe incorrecte : le profil reste verrouillé" in cli("patients", "list")[2]


def test_every_match_reason_reads_in_english(english) -> None:
    """Match reasons are stored as the matcher says them (French phrases, also in older queues) and shown
    in the language of the moment."""
    from core.clinical import matching

    phrases = set(matching._DATE_REASON.values()) | set(matching._GIVEN_REASON.values())
    phrases |= {
        f"{w} {v}" for w in ("nom d'usage", "nom de naissance") for v in matching._NAME_REASON.values()
    }
    source = (ROOT / "core" / "clinical" / "matching.py").read_text()
    import re

    phrases |= set(re.findall(r'\.append\("([^"]+)"\)', source))
    untranslated = sorted(p for p in phrases if render(p) == p)
    assert not untranslated
    assert render("date de naissance avec jour et mois inversés") == "birth date with day and month swapped"


def test_missive_match_gives_english_reasons_with_lang_en(cli, tmp_path) -> None:
    assert cli("init")[0] == 0
    patients = tmp_path / "patients.csv"
    patients.write_text(
        "id;birth_name;used_name;given_names;birth_date;sex;ins\n"
        "P1;DURAND;;Marie;1970-03-04;F;\nP2;DURAND;;Marie;1970-04-03;F;\n"
    )
    assert cli("patients", "import", str(patients))[0] == 0
    result = tmp_path / "r.hl7"
    result.write_bytes(
        b"MSH|^~\\&|LAB|LAB|DOC|DOC|20240101||ORU^R01|1|P|2.5\rPID|||9^^^LAB||DURAND^MARIE||19700304|F\r"
        b"OBR|1|||GLU\rOBX|1|NM|GLU^Glucose||5.2|mmol/L|3.9-5.8|N|||F\r"
    )
    out_en = cli("--lang", "en", "match", str(result))[1]
    out_fr = cli("match", str(result))[1]
    assert "same birth date" in out_en and "date de naissance identique" not in out_en
    assert "date de naissance identique" in out_fr


def _help_strings() -> set[str]:
    """Every help, description and epilog text written for the command line (French, the key)."""
    found: set[str] = set()
    for path in [*sorted((ROOT / "tui" / "commands").glob("*.py")), ROOT / "tui" / "cli.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg in ("help", "description", "epilog"):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    found.add(node.value.value)
            if isinstance(node, ast.Dict) and path.name == "__init__.py":
                for value in node.values:
                    if isinstance(value, ast.Tuple) and len(value.elts) == 2:
                        if isinstance(value.elts[1], ast.Constant):
                            found.add(str(value.elts[1].value))
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "help"
                        and isinstance(value, ast.Constant)
                    ):
                        found.add(str(value.value))
    return found


def test_every_help_text_of_the_command_line_has_an_english_text() -> None:
    english = json.loads((ROOT / "tui" / "locale" / "help.en.json").read_text(encoding="utf-8"))
    missing = sorted(_help_strings() - set(english))
    assert not missing, (
        "add these French help texts with their English to tui/locale/help.en.json:\n" + "\n".join(missing)
    )


def test_help_is_english_with_lang_en_and_french_otherwise(cli, capsys) -> None:
    from tui.cli import main

    def shown(*args: str) -> str:
        with pytest.raises(SystemExit):
            main(list(args))
        return capsys.readouterr().out

    out = shown("--lang", "en", "--help")
    assert "build (once) a demo profile and open it" in out and "show this help and exit" in out
    assert "construire (une fois) un profil de démonstration et l'ouvrir" in shown("--help")
    assert "rename a column of the file" in shown("patients", "import", "--help", "--lang", "en")
    code, _, err = cli("--lang", "en", "patients", "import")
    assert code == 2 and "required" in err and "see: missive patients import --help" in err



def test_a_text_is_read_from_its_section_alone_and_reads_as_the_whole_catalogue_says(monkeypatch) -> None:
    """The whole French catalogue was 185 KB of the app, which shows only the folders' names at its inbox:
    ``render`` keeps the section of the code it shows (``folder.`` ...), with the same words as the catalogue."""
    reads: list[str] = []
    real_read = text._read
    monkeypatch.setattr(text, "_read", lambda lang: reads.append(lang) or real_read(lang))
    monkeypatch.setattr(text, "_section", functools.cache(text._section.__wrapped__))
    monkeypatch.setattr(text, "catalogue", functools.cache(text.catalogue.__wrapped__))
    codes = json.loads((ROOT / "core/locale/fr.json").read_text("utf-8"))
    folder = [c for c in codes if c.startswith("folder.")]
    assert len(folder) > 1
    for code in folder:
        assert render(code, lang="fr") == codes[code]
    assert reads == ["fr"] and text._section.cache_info().currsize == 1  # one section kept, read once
    assert text.catalogue.cache_info().currsize == 0  # never the whole catalogue
    assert all(code.startswith("folder.") for code in text._section("fr", "folder"))
    for lang in ("fr", "en"):
        for code, template in text.catalogue(lang).items():
            if "{" not in template:
                assert render(code, lang=lang) == template, code
    assert render("pas un code, une phrase", lang="en") == "pas un code, une phrase"
    assert render("module.absent", lang="en") == "module.absent"


def test_a_verdict_stored_as_a_code_is_taken_without_reading_the_catalogue(monkeypatch) -> None:
    monkeypatch.setattr(text, "catalogue", functools.cache(text.catalogue.__wrapped__))
    monkeypatch.setattr(text, "_french_codes", functools.cache(text._french_codes.__wrapped__))
    assert text.code_of("sig.whatever-code") == "sig.whatever-code"
    assert text.catalogue.cache_info().currsize == 0
    sentence, code = next((v, c) for c, v in text.catalogue("fr").items() if "{" not in v and " " in v)
    assert text.code_of(sentence) == code  # an old French sentence still finds its code


def test_the_french_texts_name_a_file_to_give_fichier_not_file() -> None:
    """The app's toast in Annuaire with no directory said « lancez d'abord 'missive directory import FILE' »
    (gp9 on the installed wheel): an English word in a French line, where other lines say FICHIER."""
    said = [code for code, words in text.catalogue("fr").items() if re.search(r"\bFILE\b", words)]
    assert said == []
