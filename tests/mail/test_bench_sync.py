"""bench/sync's machinery on a small mailbox: mbsync and missive both get every message, byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import sync as bench

COUNT = 50


@pytest.fixture
def mbsync() -> str:
    found = bench.mbsync_binary()
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("mbsync missing under CI: `make sysdeps` installs isync", pytrace=False)
        pytest.skip(reason="mbsync (Debian package isync) is not installed")
    return found


def _lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n")


def _without_tuid(raw: bytes) -> bytes:
    """mbsync adds an ``X-TUID`` header line of its own to every message it copies."""
    head, sep, body = raw.partition(b"\n\n")
    lines = [line for line in head.split(b"\n") if not line.startswith(b"X-TUID: ")]
    return b"\n".join(lines) + sep + body


@pytest.mark.servers
def test_both_tools_sync_every_message_and_a_resync_adds_none(
    mail_servers, mbsync: str, tmp_path: Path
) -> None:
    user = mail_servers.add_user("bench")
    results = bench.run_bench(mail_servers, user, COUNT, tmp_path, seed=11, say=lambda _: None)
    expected = {mid: raw for mid, raw in bench.make_messages(COUNT, seed=11)}
    assert sum(1 for _, raw in expected.items() if b"piece-jointe.pdf" in raw) == COUNT // 10

    # mbsync's Maildir: every message once, bytes as on the server but for its tracking header
    files = [p for sub in ("cur", "new") for p in (results.mbsync_inbox / sub).iterdir()]
    assert len(files) == COUNT
    got = {}
    for path in files:
        got[bench.message_id_of_file(path)] = path.read_bytes()
    assert got.keys() == expected.keys()
    assert all(_without_tuid(_lf(got[mid])) == expected[mid] for mid in expected)

    # missive's profile: every message once, the raw bytes kept (Dovecot serves them with CRLF)
    store = bench.missive_store(results.profile)
    listed = store.list(folder="INBOX")
    assert sorted(m.message_id for m in listed) == sorted(expected)
    assert all(_lf(store.get_raw(m.id)) == expected[m.message_id] for m in listed)
    assert sum(m.has_attachments for m in listed) == COUNT // 10

    # the second run of each found nothing new
    assert f"bench: {COUNT} nouveaux" in results.missive_full.output
    assert "bench: 0 nouveaux" in results.missive_again.output
    assert len([p for sub in ("cur", "new") for p in (results.mbsync_inbox / sub).iterdir()]) == COUNT
    assert results.missive_full.peak_rss_kib > 0 and results.mbsync_full.peak_rss_kib > 0


def test_the_report_names_both_tools_and_the_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    run = bench.Run(seconds=2.0, peak_rss_kib=40_960, returncode=0, output="")
    slow = bench.Run(seconds=4.0, peak_rss_kib=81_920, returncode=0, output="")
    quick = bench.Run(seconds=0.5, peak_rss_kib=40_960, returncode=0, output="")
    results = bench.Results(10, 0.2, run, slow, quick, quick, Path("."), Path("."))
    assert bench.report(results) is False
    out = capsys.readouterr().out
    assert "2.00x mbsync" in out and "MISSED" in out
    assert "no-change resync: 0.50 s (target < 1 s: met)" in out
    assert "80MB" in out and "40MB" in out
