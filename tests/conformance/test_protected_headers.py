"""The LAMPS protected-headers test vectors (tests/data/conformance/protected-headers), the way Bob meets them:
his .p12 imported (RFC 9216's sample identity, published as '-----BEGIN PKCS12-----' text), the letters in a
Maildir account, synced, then `missive messages list` and `show`.

- The encrypted letters hide their subject: the outer one reads '...', the real one is inside the encrypted
  content (header protection, RFC 9788). The reader showed the real one but the list said '...' for each of
  them: the doctor could not tell the letters apart, nor find one by its subject. The list now says the
  protected subject too, as soon as the letter can be opened (at the sync, or when the key comes later).
- A wrong password for that armoured .p12 was answered « ce fichier n'est pas un PKCS#12 »: it is one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conformance.test_clinical_corpus import DATA

PH = DATA / "protected-headers"
LETTERS = ["smime-enc+legacy-disp.eml", "smime-sign+enc.eml", "smime-onepart-signed.eml"]


def _maildir(tmp_path: Path) -> Path:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for n, name in enumerate(LETTERS):
        shutil.copy(PH / name, root / "new" / f"157000000{n}.real9:2,")
    return root


def _subjects(cli) -> list[str]:  # type: ignore[no-untyped-def]
    code, out, err = cli("messages", "list", "--folder", "Quarantaine", "--json")  # alice@ is no MSSanté
    assert code == 0, err
    return sorted(json.loads(line)["subject"] for line in out.splitlines())


@pytest.mark.parametrize("key_first", [True, False], ids=["key-then-sync", "sync-then-key"])
def test_the_list_says_the_protected_subject(cli, tmp_path: Path, monkeypatch, key_first: bool) -> None:  # noqa: F811
    assert cli("init")[0] == 0
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "bob")

    def bob_key() -> None:
        code, out, err = cli("keys", "import", str(PH / "bob.p12"))
        assert code == 0 and "bob@smime.example" in out, err

    if key_first:
        bob_key()
    assert cli("keys", "trust", str(PH / "sample-ca.pem"))[0] == 0
    assert cli("account", "add", "local", "--email", "bob@smime.example", "--maildir", str(_maildir(tmp_path)))[0] == 0
    code, out, err = cli("sync")
    assert (code, err) == (0, "") and "local: 3 nouveaux" in out, (out, err)
    if not key_first:
        assert _subjects(cli) == ["...", "...", "The FooCorp contract"]  # not readable yet: the outer one
        bob_key()
    assert _subjects(cli) == ["BarCorp contract signed, let's go!", "BarCorp contract signed, let's go!", "The FooCorp contract"]
    code, out, _ = cli("messages", "list", "--folder", "Quarantaine", "--json")
    for row in map(json.loads, out.splitlines()):  # what the reader says, the list says
        code, shown, err = cli("messages", "show", row["id"], "--json")
        assert code == 0 and json.loads(shown)["subject"] == row["subject"], err


def test_a_wrong_password_for_an_armoured_p12_says_the_password(cli, monkeypatch) -> None:  # noqa: F811
    assert cli("init")[0] == 0
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "correct-horse-battery-staple")  # the drafts' other example
    code, out, err = cli("keys", "import", str(PH / "bob.p12"))
    assert code == 2 and "Traceback" not in err
    assert err.strip() == (
        "missive : le mot de passe du .p12 est faux ou le fichier est endommagé : vérifiez MISSIVE_P12_PASSWORD"
    )
