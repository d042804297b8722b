"""The daemon: watches every account, flushes the outbox, runs periodic tasks, notifies, stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

from core.daemon import run_daemon
from core.errors import TransportError
from core.events import MailroomEvent, NewMail
from core.notify import Notifier
from tests.send.webhook import WebhookServer

ROOT = Path(__file__).resolve().parents[2]


class FakeMailroom:
    """Accounts whose IDLE rounds return scripted counts of new mail (or fail)."""

    def __init__(self, script: dict[str, list[int | Exception]]) -> None:
        self.script = script
        self.rounds: dict[str, int] = dict.fromkeys(script, 0)
        self.flushes = 0
        self.events: list[MailroomEvent] = []
        self.settings = SimpleNamespace(notifications=SimpleNamespace(kind="none", url="", token_env=""))

    def account_names(self) -> list[str]:
        return list(self.script)

    async def idle(self, name: str) -> int:
        self.rounds[name] += 1
        steps = self.script[name]
        if not steps:
            await asyncio.sleep(3600)  # nothing new: IDLE waits
        step = steps.pop(0)
        await asyncio.sleep(0)
        if isinstance(step, Exception):
            raise step
        return step

    async def flush_outbox(self):
        self.flushes += 1
        return SimpleNamespace(sent=0, queued=0, failed=0)

    def emit(self, event: MailroomEvent) -> None:
        self.events.append(event)


async def _run_until(mailroom, condition, **kw) -> None:
    stop = asyncio.Event()
    runner = asyncio.create_task(run_daemon(mailroom, stop, **kw))
    for _ in range(2000):
        if condition():
            break
        await asyncio.sleep(0.005)
    stop.set()
    await asyncio.wait_for(runner, 5)


async def test_new_mail_is_notified_as_a_count_and_emitted_as_an_event() -> None:
    mailroom = FakeMailroom({"cabinet": [2, 0, 1], "labo": [3]})
    with WebhookServer() as rec:
        notifier = Notifier("ntfy", rec.url)
        # each round's count on its own (no quiet time between pushes: see the burst test below)
        await _run_until(mailroom, lambda: len(rec.requests) >= 3, notifier=notifier, notify_quiet=0)
    bodies = sorted(r.body.decode() for r in rec.requests)
    assert bodies == [
        "1 nouveau message sécurisé",
        "2 nouveaux messages sécurisés",
        "3 nouveaux messages sécurisés",
    ]
    assert sorted(e.count for e in mailroom.events if isinstance(e, NewMail)) == [1, 2, 3]


async def test_a_failing_account_does_not_stop_the_others_and_is_retried(monkeypatch) -> None:
    monkeypatch.setattr("core.daemon.RETRY_FIRST", 0.01)
    mailroom = FakeMailroom(
        {"broken": [TransportError("imap:143: cannot connect"), TransportError("x"), 4], "ok": [1]}
    )
    with WebhookServer() as rec:
        await _run_until(mailroom, lambda: len(rec.requests) >= 2, notifier=Notifier("webhook", rec.url))
    assert mailroom.rounds["broken"] >= 3
    assert sorted(e.count for e in mailroom.events if isinstance(e, NewMail)) == [1, 4]


async def test_outbox_is_flushed_and_periodic_tasks_run_even_if_one_fails() -> None:
    mailroom = FakeMailroom({})
    runs: list[str] = []

    async def filing() -> None:
        runs.append("filing")

    async def broken() -> None:
        runs.append("broken")
        raise RuntimeError("watched folder gone")

    await _run_until(
        mailroom,
        lambda: runs.count("filing") >= 3 and runs.count("broken") >= 3 and mailroom.flushes >= 3,
        tasks=[filing, broken],
        flush_every=0.01,
        tasks_every=0.01,
        notifier=Notifier(),
    )
    assert mailroom.flushes >= 3 and runs.count("broken") >= 3


async def test_stop_event_ends_the_daemon_with_no_task_left() -> None:
    mailroom = FakeMailroom({"cabinet": []})
    before = len(asyncio.all_tasks())
    await _run_until(mailroom, lambda: mailroom.rounds["cabinet"] >= 1, notifier=Notifier())
    assert len(asyncio.all_tasks()) == before


def test_sigterm_stops_the_daemon_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "d.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, sys
            sys.path.insert(0, sys.argv[1])
            from tests.send.test_daemon import FakeMailroom
            from core.daemon import install_stop_handlers, run_daemon
            from core.notify import Notifier

            async def main():
                stop = asyncio.Event()
                install_stop_handlers(stop)
                mailroom = FakeMailroom({"cabinet": []})

                async def ready():  # a periodic task: proves the loops run before the signal comes
                    print("ready", flush=True)

                await run_daemon(mailroom, stop, tasks=[ready], notifier=Notifier(), tasks_every=3600)
                print("stopped", mailroom.flushes > 0, flush=True)

            asyncio.run(main())
            """
        )
    )
    proc = subprocess.Popen(
        [sys.executable, str(script), str(ROOT)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.strip() == "stopped True"


async def test_an_account_removed_while_the_daemon_waits_for_its_news_is_no_longer_watched(tmp_path: Path) -> None:
    """`missive account remove ancien` in another terminal while `missive daemon` waits in ancien's IDLE round
    (540 s): the round ends at once with no sync of it (the round's sync stored ancien's letters again after
    the removal had dropped them), the daemon stops watching it (one log line; it retried it forever), and
    keeps watching the other account."""
    from core.daemon import _watch
    from core.mail.account import Account
    from core.mailroom import Mailroom

    passphrase = "correct horse battery staple"
    for name in ("cabinet", "ancien"):
        for sub in ("cur", "new", "tmp"):
            (tmp_path / name / sub).mkdir(parents=True)
        (tmp_path / name / "new" / "1.a").write_bytes(
            f"From: labo@labo.mssante.fr\r\nTo: dr@{name}.mssante.fr\r\nSubject: {name}\r\n"
            f"Message-ID: <{name}@labo.mssante.fr>\r\n\r\ncorps\r\n".encode()
        )
    mr = Mailroom.create(tmp_path / "profile", passphrase)
    for name in ("cabinet", "ancien"):
        mr.accounts.add(Account(name=name, email=f"dr@{name}.mssante.fr", kind="maildir", maildir=str(tmp_path / name)))
    await mr.sync()
    assert sorted(m.account for m in mr.messages.list()) == ["ancien", "cabinet"]
    stop = asyncio.Event()
    watched = {name: asyncio.create_task(_watch(mr, name, Notifier("none", ""), stop)) for name in ("cabinet", "ancien")}
    await asyncio.sleep(0.5)  # both in their IDLE round
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui.cli", "--profile", str(tmp_path / "profile"), "account", "remove", "ancien",
        env={**os.environ, "MISSIVE_PASSPHRASE": passphrase}, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await cli.wait() == 0
    await asyncio.wait_for(watched["ancien"], 30)  # over: far from the round's 540 s
    assert not watched["cabinet"].done()
    assert [m.account for m in mr.messages.list()] == ["cabinet"]  # ancien's letter not stored again
    stop.set()
    watched["cabinet"].cancel()


async def test_a_push_the_phone_service_refused_is_sent_again_once_it_answers() -> None:
    """The phone service down when letters came: the daemon says them again (the count only) once it answers,
    with no new letter needed."""
    mailroom = FakeMailroom({"cabinet": [2]})
    with WebhookServer() as rec:
        rec.status = 503
        notifier = Notifier("ntfy", rec.url)

        def back_up() -> bool:
            if rec.requests and rec.status == 503:
                rec.status = 200  # the service answers again after the first refusal
            return rec.status == 200 and len(rec.requests) >= 2

        await _run_until(mailroom, back_up, notifier=notifier, flush_every=0.05)
    # refused once, then taken: the same count, said once the service answered
    assert [r.body.decode() for r in rec.requests] == ["2 nouveaux messages sécurisés"] * 2
    assert notifier.owed == 0


async def test_a_burst_of_letters_rings_the_phone_once_then_once_more_with_the_rest() -> None:
    """A lab's morning batch of 300 letters arrived over 7 IDLE rounds in one second: the phone rang 7 times.
    Now the first round's count goes at once, what the next rounds bring is held for the quiet time, then said
    in one push."""
    mailroom = FakeMailroom({"cabinet": [172, 22, 7, 14, 35, 46, 6]})
    with WebhookServer() as rec:
        notifier = Notifier("ntfy", rec.url)
        await _run_until(
            mailroom, lambda: len(rec.requests) >= 2, notifier=notifier, notify_quiet=0.5, flush_every=0.05
        )
    assert [r.body.decode() for r in rec.requests] == [
        "172 nouveaux messages sécurisés",
        "130 nouveaux messages sécurisés",
    ]
    assert sum(e.count for e in mailroom.events if isinstance(e, NewMail)) == 302  # the app still hears each
