"""`missive trust update` and `missive directory update` against a local HTTPS server (test CA): conditional
requests, 304, a truncated body, an unparsable file, the wrong certificate, a size limit; the last good copy
stays through every failure."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from core import lists
from tests.directory import gen
from tests.servers.files import FileServer
from tests.servers.pki import TestCA

NS = "https://listeblanche.mssante.fr/schema"


def whitelist(*domains: str, generated: str = "2026-12-01T03:00:00") -> bytes:
    entries = "".join(
        f"<Domaine><Nom>{d}</Nom><Description>op</Description><DNCertificatOperateur>CN=op</DNCertificatOperateur>"
        f"<DateMAJ>2026-11-30</DateMAJ></Domaine>"
        for d in domains
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="{NS}">'
        f"<DateDeGeneration>{generated}</DateDeGeneration><ListeDomaines>{entries}</ListeDomaines>"
        "</ListeBlancheMSSante>"
    ).encode()


@pytest.fixture
def files(tmp_path: Path):
    server = FileServer(tmp_path / "files").start()
    yield server
    server.stop()


@pytest.fixture
def profile_cli(cli):
    assert cli("init")[0] == 0
    return cli


def _domains(cli) -> str:
    return next(line for line in cli("trust", "show")[1].splitlines() if line.startswith("Liste blanche"))


def test_trust_update_then_304_then_failures_keep_the_last_good_copy(profile_cli, files, monkeypatch) -> None:
    cli = profile_cli
    files.serve("/listeblanchemssante.xml", whitelist("ch-exemple.fr", "labo.mssante.fr", "ch-exemple.fr"))
    url, ca = files.url("/listeblanchemssante.xml"), str(files.ca_file)
    code, out, err = cli("trust", "update", "--url", url, "--ca-file", ca)
    assert code == 0, err
    assert "liste blanche mise à jour : 2 domaines (générée le 2026-12-01T03:00:00)" in out
    shown = cli("trust", "show")[1]
    assert "Liste blanche MSSanté : 2 domaines" in shown and "Mise à jour : il y a moins d'une heure" in shown

    # Nothing new on the server: a conditional request, a 304, nothing changed.
    code, out, err = cli("trust", "update", "--url", url, "--ca-file", ca)
    assert code == 0 and "déjà à jour" in out
    assert files.log[-1] == ("/listeblanchemssante.xml", 304, True)

    good = _domains(cli)
    for body, mode, words in (
        (whitelist("a.fr", "b.fr", "c.fr"), "truncated", "fichier tronqué"),
        (b"<html>maintenance</html>", "ok", "liste blanche"),
        (b"\x00\x01garbage", "ok", "XML valide"),
    ):
        files.serve("/listeblanchemssante.xml", body, mode)
        code, out, err = cli("trust", "update", "--url", url, "--ca-file", ca)
        assert code == 1 and err.count("\n") == 1 and words in err and "précédente reste utilisée" in err, err
        assert _domains(cli) == good  # the last good copy is still the one in use
    assert "dernier échec" in cli("trust", "show")[1]

    monkeypatch.setattr(lists, "MAX_WHITELIST_BYTES", 100)
    files.serve("/listeblanchemssante.xml", whitelist(*(f"d{i}.fr" for i in range(50))))
    code, out, err = cli("trust", "update", "--url", url, "--ca-file", ca)
    assert code == 1 and "dépasse la limite" in err and _domains(cli) == good


def test_the_wrong_certificate_is_refused_and_says_how_to_fix(profile_cli, files, tmp_path) -> None:
    files.serve("/l.xml", whitelist("x.fr"))
    other = TestCA(tmp_path / "other", "another CA")
    code, out, err = profile_cli(
        "trust", "update", "--url", files.url("/l.xml"), "--ca-file", str(other.ca_file)
    )
    assert code == 1 and err.count("\n") == 1 and "autorité de confiance" in err, err
    code, out, err = profile_cli("trust", "update", "--url", files.url("/l.xml"))  # system store only
    assert code == 1 and "--ca-file" in err and "IGC Santé" in err
    code, out, err = profile_cli("trust", "update", "--url", "http://127.0.0.1/l.xml")
    assert code == 2 and "https://" in err


def test_directory_update(cli, files, tmp_path, profile_dir) -> None:
    src = tmp_path / "src"
    src.mkdir()
    rpps = gen.write(
        src / "rpps.zip",
        gen.rpps_lines(300, 56, extra=gen.LEFEVRE_CASE),
        member="PS_LibreAcces_Personne_activite_1.txt",
    )
    mss = gen.write(src / "mss.txt", gen.mss_lines(80, gen.practitioners_for(300), extra=gen.LEFEVRE_CASE))
    files.serve("/PS_LibreAcces", rpps.read_bytes())
    files.serve("/Extraction_Correspondance_MSSante", mss.read_bytes())
    args = ["directory", "update", "--url", files.url("/PS_LibreAcces"), "--url",
            files.url("/Extraction_Correspondance_MSSante"), "--ca-file", str(files.ca_file)]  # fmt: skip
    code, out, err = cli(*args)  # no passphrase needed: public data beside the profile
    assert code == 0, err
    assert out.startswith("annuaire mis à jour")
    found = cli("directory", "search", "lefevre", "cardio", "pau", "--json")[1]
    assert "LEF" in found
    assert "téléchargé : il y a moins d'une heure" in cli("directory", "info")[1]
    assert not list((profile_dir / "directory").glob(".download*"))  # no temporary file left

    code, out, err = cli(*args)
    assert code == 0 and "annuaire déjà à jour" in out
    assert [status for _, status, _ in files.log[-2:]] == [304, 304]

    index = profile_dir / "directory" / "index.sqlite3"
    before = index.read_bytes()
    for body, mode in ((b"ceci n'est pas une extraction\n", "ok"), (rpps.read_bytes() + b"x", "truncated")):
        files.serve("/PS_LibreAcces", body, mode)
        code, out, err = cli(*args)
        assert code in (1, 2) and err.count("\n") == 1 and "reste utilisé" in err, err
        assert index.read_bytes() == before
    assert "LEF" in cli("directory", "search", "lefevre", "--json")[1]
    assert not [p for p in (profile_dir / "directory").iterdir() if p.name.startswith(".")]


def test_the_daemon_refreshes_once_a_day(tmp_path) -> None:
    state = lists.JsonState(tmp_path / "s.json")
    day = lists.Lists(state, tmp_path)
    assert day.due("whitelist")  # never checked
    now = time.time()
    iso = lambda seconds_ago: dt.datetime.fromtimestamp(now - seconds_ago, dt.UTC).isoformat()  # noqa: E731
    state.put("whitelist", {"checked": iso(3600)})
    assert not day.due("whitelist", now)
    state.put("whitelist", {"checked": iso(25 * 3600)})
    assert day.due("whitelist", now)
    state.put("whitelist", {"checked": iso(25 * 3600), "failed": iso(600)})
    assert not day.due("whitelist", now)  # failed ten minutes ago: wait an hour
    state.put("whitelist", {"checked": iso(25 * 3600), "failed": iso(2 * 3600)})
    assert day.due("whitelist", now)
    assert (tmp_path / "s.json").stat().st_mode & 0o777 == 0o600


async def test_the_directory_pane_shows_how_old_the_download_is(tmp_path, files) -> None:
    from core.mailroom import Mailroom
    from tests.tui.test_flows import text_of, until
    from tui.app import MissiveApp

    mr = Mailroom.create(tmp_path / "profile", "correct horse battery staple")
    mss = gen.write(tmp_path / "mss.txt", gen.mss_lines(20, gen.practitioners_for(50)))
    files.serve("/mss", mss.read_bytes())
    mr.update_directory([files.url("/mss")], str(files.ca_file))
    files.serve("/mss", b"plus une extraction\n")
    with pytest.raises(lists.ListError):
        mr.update_directory([files.url("/mss")], str(files.ca_file))
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await until(
            pilot,
            lambda: (
                bool(app.screen.query("#directory-age")) and app.screen.query_one("#directory-age").display
            ),
            "the age line",
        )
        line = text_of(app, "#directory-age")
        assert "Annuaire téléchargé il y a moins d'une heure" in line and "copie précédente" in line
        await pilot.press("ctrl+q")


async def test_the_daemon_task_refreshes_both_lists_from_the_settings(tmp_path, files) -> None:
    from core.mailroom import Mailroom

    mr = Mailroom.create(tmp_path / "profile", "correct horse battery staple")
    mss = gen.write(tmp_path / "mss.txt", gen.mss_lines(20, gen.practitioners_for(50)))
    files.serve("/wl.xml", whitelist("ch-exemple.fr"))
    files.serve("/mss", mss.read_bytes())
    mr.save_settings(
        {
            "lists": {
                "whitelist_url": files.url("/wl.xml"),
                "directory_urls": [files.url("/mss")],
                "ca_file": str(files.ca_file),
            }
        }
    )
    tasks = mr.daemon_tasks()
    for task in tasks:
        await task()
    assert mr.trust.describe()["whitelist_domains"] == 1
    assert mr.lists_info()["directory"]["updated"]
    fetched = len(files.log)
    for task in tasks:  # checked a moment ago: not due again before a day
        await task()
    assert len(files.log) == fetched
