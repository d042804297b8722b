"""A bound on what a server can make a sync hold (review4: 'the IMAP bulk reader has no bound on a literal').

A letter larger than the account's limit (``Account.max_message_mb``, 50 MB by default) is not downloaded: its
headers are stored, it is listed as too large (to be read in the operator's webmail), the others are synced. A
server that announces a literal larger than the bound where none should be (a header FETCH, a letter it said
was under the limit) or a line with no end is cut off with one clear line, nothing stored changed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re

import pytest

from core.errors import TransportError
from core.mail.imapwire import ResponseStream
from core.mail.messages import MessageStore
from core.mail.sync import SyncEngine
from tests.mail.helpers import MemoryProfile, imap_account, letter
from tests.send.tlsfake import make_certs

MB = 1 << 20


# -- the real Dovecot ---------------------------------------------------------------------------------------


@pytest.mark.servers
async def test_a_letter_over_the_limit_keeps_its_headers_and_the_others_are_synced(mail_servers) -> None:
    user = mail_servers.add_user("sizelimit")
    mail_servers.deliver(user, letter("Petit courrier", body="Tension normale.\n"))
    mail_servers.deliver(
        user, letter("Gros scanner", attachment=os.urandom(int(1.5 * MB)))
    )  # ~2 MB in base64
    mail_servers.deliver(user, letter("Autre courrier", body="Rien à signaler.\n"))
    store = MessageStore(MemoryProfile())
    hooked: list[bytes] = []

    def hook(raw: bytes) -> dict:
        hooked.append(raw)
        # the sender is outside the trust space (strict mode): Quarantine, whatever its size
        return {"trust": "quarantine", "abnormal": True} if b"Gros scanner" in raw else {}

    engine = SyncEngine(store, on_new_message=hook, backoff=0.2)
    account = imap_account(mail_servers, user, max_message_mb=1)
    report = await engine.sync(account)
    assert report.new == 3
    by_subject = {m.subject: m for m in store.list("INBOX")}
    assert set(by_subject) == {"Petit courrier", "Gros scanner", "Autre courrier"}
    big = by_subject["Gros scanner"]
    assert big.too_big and 2 * MB < big.size < 3 * MB  # its size on the server, not what was kept
    kept = store.get_raw(big.id)
    assert b"\r\nSubject: Gros scanner\r\n" in kept and kept.endswith(b"\r\n\r\n") and len(kept) < 4096
    assert b"big.bin" not in kept  # nothing of its body
    for name in ("Petit courrier", "Autre courrier"):
        small = by_subject[name]
        assert not small.too_big and store.get_raw(small.id).endswith(b"\r\n\r\n")
    # the hook saw its headers only: the trust policy holds for it (Quarantine), nothing else is taken from an
    # analysis of a letter that is not here
    [seen] = [raw for raw in hooked if b"Gros scanner" in raw]
    assert seen == kept and len(hooked) == 3
    doc = store.doc(big.id)
    assert doc.get("trust") == "quarantine" and not big.abnormal and not big.encrypted and not big.signed
    # listed once: a second sync fetches nothing again
    assert (await engine.sync(account)).new == 0 and len(store.list()) == 3

    # the same letter under the default limit (50 MB) comes whole
    whole = MessageStore(MemoryProfile())
    await SyncEngine(whole, backoff=0.2).sync(imap_account(mail_servers, user))
    assert not any(m.too_big for m in whole.list()) and len(whole.list()) == 3


@pytest.mark.servers
def test_the_cli_lists_the_letter_as_too_large_and_says_where_to_read_it(
    cli, mail_servers, monkeypatch
) -> None:
    user = mail_servers.add_user("sizecli")
    mail_servers.deliver(user, letter("Gros scanner", attachment=os.urandom(int(1.5 * MB))))
    mail_servers.deliver(user, letter("Compte rendu", body="Tension normale.\n"))
    monkeypatch.setenv("MISSIVE_ACCOUNT_PASSWORD", mail_servers.password)
    assert cli("init")[0] == 0
    code, out, err = cli(
        "account", "add", "cabinet", "--email", user, "--max-message-mb", "1",
        "--imap", f"127.0.0.1:{mail_servers.imap_port}", "--smtp", f"127.0.0.1:{mail_servers.submission_port}",
        "--user", user, "--ca-file", str(mail_servers.ca_file),
    )  # fmt: skip
    assert code == 0, err
    code, out, err = cli("sync")
    assert code == 0, err
    code, out, err = cli("messages", "list")
    assert code == 0, err
    line = next(li for li in out.splitlines() if "Gros scanner" in li)
    assert "[trop gros, 2 Mo] Gros scanner" in line
    assert not any("trop gros, " in li for li in out.splitlines() if "Compte rendu" in li)
    rows = [json.loads(li) for li in cli("messages", "list", "--json")[1].splitlines()]
    big = next(r for r in rows if r["subject"] == "Gros scanner")
    assert big["too_big"] is True and big["size"] > 2 * MB
    code, out, err = cli("messages", "show", big["id"])
    assert code == 0, err
    assert "seuls ses en-têtes ont été téléchargés" in out and "webmail de votre opérateur MSSanté" in out
    code, out, err = cli(
        "account", "add", "autre", "--email", user, "--max-message-mb", "-3", "--maildir", "x"
    )
    assert code == 2 and "--max-message-mb" in err and err.count("\n") == 1


# -- a server whose announced sizes lie ---------------------------------------------------------------------

LETTER = letter("Compte rendu", body="Tension normale.\n").replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")


class LyingServer:
    """An IMAP server over TLS holding two letters, whose answers can lie: ``header_literal`` announced for
    a header FETCH, ``body_literal`` for the second letter's body (which SEARCH LARGER said was small), or an
    endless line with no CRLF (``endless``). It then sends a few bytes and waits, as a hostile one would."""

    def __init__(
        self,
        ctx,
        *,
        uids=(1, 2),
        header_literal: int = 0,
        body_literal: int = 0,
        endless: bool = False,
        big: bool = False,
        refuse_larger: bool = False,
    ) -> None:
        self.ctx = ctx
        self.header_literal, self.body_literal, self.endless = header_literal, body_literal, endless
        self.refuse_larger = refuse_larger  # a server that answers BAD to SEARCH LARGER
        self.sizes = {1: len(LETTER), 2: 3 * MB if header_literal or big else len(LETTER)}
        self.sizes = {uid: size for uid, size in self.sizes.items() if uid in uids}
        self.port = 0
        self.sent_after_lie = 0
        self._server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> LyingServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ctx)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._server is not None
        self._server.close()

    async def _lie(self, writer: asyncio.StreamWriter) -> None:
        """A few bytes of what was announced, then a wait (the client must not wait for the rest)."""
        for _ in range(50):
            writer.write(b"x" * 65536)
            await writer.drain()
            self.sent_after_lie += 65536
            await asyncio.sleep(0.05)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(*lines: bytes) -> None:
            writer.write(b"".join(line + b"\r\n" for line in lines))

        try:
            say(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] lying server ready")
            while line := await reader.readline():
                words = line.decode("ascii", "replace").split()
                if len(words) < 2:
                    continue
                tag, command = words[0].encode(), " ".join(words[1:]).upper()
                if command.startswith("CAPABILITY"):
                    say(b"* CAPABILITY IMAP4rev1", tag + b" OK done")
                elif command.startswith("LOGIN"):
                    say(tag + b" OK logged in")
                elif command.startswith("LIST"):
                    say(b'* LIST (\\HasNoChildren) "/" INBOX', tag + b" OK done")
                elif command.startswith(("SELECT", "EXAMINE")):
                    n = len(self.sizes)
                    say(b"* %d EXISTS" % n, b"* OK [UIDVALIDITY 7] ok", b"* OK [UIDNEXT %d] ok" % (n + 1),
                        tag + b" OK [READ-WRITE] done")  # fmt: skip
                elif command.startswith("UID SEARCH LARGER") and self.refuse_larger:
                    say(tag + b" BAD unknown search key")
                elif command.startswith("UID FETCH") and command.endswith("(UID RFC822.SIZE)"):
                    for uid in _uids(words[3], self.sizes):
                        say(b"* %d FETCH (UID %d RFC822.SIZE %d)" % (uid, uid, self.sizes[uid]))
                    say(tag + b" OK done")
                elif command.startswith("UID SEARCH LARGER"):
                    limit = int(command.split()[-1])
                    big = [str(u).encode() for u, size in self.sizes.items() if size > limit]
                    say(b"* SEARCH " + b" ".join(big), tag + b" OK done")
                elif command.startswith("UID SEARCH"):
                    say(b"* SEARCH " + b" ".join(b"%d" % u for u in self.sizes), tag + b" OK done")
                elif command.startswith("UID FETCH") and "HEADER" in command and not self.header_literal:
                    head = LETTER.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                    writer.write(b"* 2 FETCH (UID 2 FLAGS () RFC822.SIZE %d BODY[HEADER] {%d}\r\n" % (
                        self.sizes[2], len(head)) + head + b")\r\n" + tag + b" OK done\r\n")  # fmt: skip
                elif command.startswith("UID FETCH") and "HEADER" in command:
                    writer.write(
                        b"* 2 FETCH (UID 2 FLAGS () RFC822.SIZE %d BODY[HEADER] {%d}\r\n"
                        % (self.sizes[2], self.header_literal)
                    )
                    await self._lie(writer)
                elif command.startswith("UID FETCH") and "BODY.PEEK[]" in command:
                    for uid in _uids(words[3], self.sizes):
                        if uid == 2 and self.endless:
                            writer.write(b"* 2 FETCH (UID 2 FLAGS () RFC822.SIZE 10 BODY[] ")
                            await self._lie(writer)
                        elif uid == 2 and self.body_literal:
                            writer.write(
                                b"* 2 FETCH (UID 2 FLAGS () RFC822.SIZE %d BODY[] {%d}\r\n"
                                % (len(LETTER), self.body_literal)
                            )
                            await self._lie(writer)
                        else:
                            writer.write(
                                b"* %d FETCH (UID %d FLAGS () RFC822.SIZE %d BODY[] {%d}\r\n"
                                % (uid, uid, len(LETTER), len(LETTER))
                                + LETTER
                                + b")\r\n"
                            )
                    say(tag + b" OK done")
                elif command.startswith("LOGOUT"):
                    say(b"* BYE bye", tag + b" OK done")
                    await writer.drain()
                    break
                else:
                    say(tag + b" OK done")
                await writer.drain()
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def _uids(text: str, held) -> list[int]:
    """The UIDs an IMAP set names among those ``held`` ('2', '1:2', '1,2')."""
    out = []
    for part in text.split(","):
        low, _, high = part.partition(":")
        out.extend(u for u in held if int(low) <= u <= int(high or low))
    return out


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("lying-tls"))


def _account(certs, port: int):
    from core.mail.account import Account

    return Account(
        name="cab", email="doc@missive.test", imap_host="127.0.0.1", imap_port=port, imap_security="tls",
        user="doc@missive.test", password="x", ca_file=str(certs.ca_file), max_message_mb=1,
    )  # fmt: skip


@pytest.mark.parametrize(
    "lie, said",
    [
        pytest.param(
            dict(header_literal=200 * MB),
            "annonce une réponse de 200 Mo là où il n'envoie que des en-têtes ou des noms (au plus 4,0 Mo)",
            id="header-literal",
        ),
        pytest.param(
            dict(body_literal=300 * MB),
            "annonce une réponse de 300 Mo, plus que la limite de ce compte",
            id="body-literal",
        ),
        pytest.param(dict(endless=True), None, id="endless-line"),
    ],
)
async def test_a_server_announcing_more_than_the_bound_is_cut_off(certs, lie, said, monkeypatch) -> None:
    if lie.get("endless"):  # a shorter bound on lines, so the test sends a few MB rather than 16
        import core.mail.imapwire as imapwire

        monkeypatch.setattr(imapwire.ResponseStream.__init__, "__defaults__", (None, 2 * MB))
    store = MessageStore(MemoryProfile())
    engine = SyncEngine(store, backoff=0.2)
    # a first sync of the first letter alone, from an honest answer, to see that nothing stored changes
    async with LyingServer(certs.contexts["good"], uids=(1,)) as honest:
        await engine.sync(_account(certs, honest.port), folders=["INBOX"])
    before = [(m.id, m.uid, m.subject) for m in store.list()]
    assert [uid for _id, uid, _subject in before] == [1]
    state_before = store.folder_state("cab", "INBOX").to_json()
    async with LyingServer(certs.contexts["good"], **lie) as server:
        with pytest.raises(TransportError) as failed:
            await asyncio.wait_for(engine.sync(_account(certs, server.port), folders=["INBOX"]), 60)
        assert server.sent_after_lie < 50 * 65536  # cut off, not waited out
    text = str(failed.value)
    assert text.count("\n") == 0 and "connexion fermée, rien n'a été enregistré" in text
    if said:
        assert said in text
    else:
        assert "une ligne de plus de 2,0 Mo" in text
    assert failed.value.permanent  # said once, not tried five times over
    assert [(m.id, m.uid, m.subject) for m in store.list()] == before
    assert store.folder_state("cab", "INBOX").to_json() == state_before


def test_the_response_stream_refuses_a_literal_or_a_line_over_its_bounds() -> None:
    stream = ResponseStream(max_literal=1000, max_line=4096)
    assert stream.feed(b"* 1 FETCH (UID 1 BODY[] {1000}\r\n" + b"a" * 1000 + b")\r\n")
    with pytest.raises(TransportError, match=re.escape("annonce une réponse de 0,0 Mo")):
        ResponseStream(max_literal=1000).feed(b"* 1 FETCH (UID 1 BODY[] {1001}\r\n")
    with pytest.raises(TransportError, match="une ligne de plus de 0,0 Mo"):
        ResponseStream(max_line=4096).feed(b"* 1 FETCH (UID 1 " + b"x" * 5000)
    split = ResponseStream(max_line=4096)
    split.feed(b"* 1 FETCH (UID 1 " + b"x" * 3000)
    with pytest.raises(TransportError):
        split.feed(b"x" * 2000)  # the same line, in two reads


@pytest.mark.parametrize("refuse_larger", [False, True], ids=["search-larger", "sizes-fetched"])
async def test_a_server_without_search_larger_still_has_its_large_letters_listed(
    certs, refuse_larger
) -> None:
    store = MessageStore(MemoryProfile())
    engine = SyncEngine(store, backoff=0.2)
    async with LyingServer(certs.contexts["good"], big=True, refuse_larger=refuse_larger) as server:
        report = await engine.sync(_account(certs, server.port), folders=["INBOX"])
    assert report.new == 2
    by_uid = {m.uid: m for m in store.list()}
    assert not by_uid[1].too_big and by_uid[2].too_big and by_uid[2].size == 3 * MB
    assert store.get_raw(by_uid[2].id).endswith(b"\r\n\r\n") and b"Tension" not in store.get_raw(by_uid[2].id)


# -- a Maildir account ----------------------------------------------------------------------------------------


def test_a_maildir_letter_over_the_limit_is_listed_as_too_large_as_on_imap(
    cli, tmp_path, monkeypatch
) -> None:
    """A Maildir account read any size whole: a 2 MB scan under a 1 MB limit came into the profile and the
    hook. Now it gets what an IMAP account's letter gets: its headers only, '[trop gros, N Mo]', the reader's
    note, the trust policy still applied to its headers; the others are read whole."""
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    scan = letter("Gros scanner", attachment=os.urandom(int(1.5 * MB)))
    (root / "new" / "1.big.host").write_bytes(scan)
    (root / "new" / "2.small.host").write_bytes(letter("Compte rendu", body="Tension normale.\n"))
    assert cli("init")[0] == 0
    code, out, err = cli(
        "account",
        "add",
        "local",
        "--email",
        "doc@missive.test",
        "--maildir",
        str(root),
        "--max-message-mb",
        "1",
    )
    assert code == 0, err
    code, out, err = cli("sync")
    assert code == 0, err
    code, out, err = cli("messages", "list")
    assert code == 0, err
    line = next(li for li in out.splitlines() if "Gros scanner" in li)
    assert "[trop gros, 2 Mo] Gros scanner" in line
    assert not any("trop gros, " in li for li in out.splitlines() if "Compte rendu" in li)
    rows = [json.loads(li) for li in cli("messages", "list", "--json")[1].splitlines()]
    big = next(r for r in rows if r["subject"] == "Gros scanner")
    assert big["too_big"] is True and big["size"] == len(scan)
    code, out, err = cli("messages", "show", big["id"])
    assert code == 0, err
    assert "seuls ses en-têtes ont été téléchargés" in out
    from core.mailroom import Mailroom

    mr = Mailroom.open(tmp_path / "profile", "correct horse battery staple")
    kept = mr.messages.get_raw(big["id"])
    assert kept == scan.split(b"\n\n", 1)[0] + b"\n\n" and b"big.bin" not in kept  # nothing of its body
    small = next(r for r in rows if r["subject"] == "Compte rendu")
    assert not small.get("too_big") and b"Tension normale." in mr.messages.get_raw(small["id"])
    assert (root / "new" / "1.big.host").read_bytes() == scan  # the file itself is left as it is


@pytest.mark.parametrize("at", [65532, 65533, 65534, 65535, 65536])
async def test_a_maildir_letters_header_is_cut_at_its_blank_line_even_across_two_reads(tmp_path, at) -> None:
    """The header is read by 64 KiB: a blank line (CRLF) that straddles two reads still ends it."""
    from core.mail.account import Account
    from core.mail.maildir import MaildirSource

    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    start = b"From: labo@missive.test\r\nSubject: Gros\r\nX-Pad: "
    head = start + b"p" * (at - len(start)) + b"\r\n\r\n"
    (root / "new" / "1.big.host").write_bytes(head + b"corps " * (MB // 3))
    source = MaildirSource(
        Account(name="l", email="d@missive.test", kind="maildir", maildir=str(root), max_message_mb=1)
    )
    await source.connect()
    await source.select("INBOX")
    batches = [batch async for batch in source.fetch(await source.uids())]
    [[got]] = batches
    assert got.too_big and got.raw == head and got.size == len(head) + 6 * (MB // 3)


async def test_an_empty_message_says_so_in_the_reader(tmp_path) -> None:  # noqa: ANN001
    """A message of no byte (a file read while still being written into a Maildir's new/, a server's empty
    answer) read as a blank letter: no sender, no date, no text, and nothing said. It now says what it is."""
    from core.mail.account import Account
    from core.mailroom import Mailroom

    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1.vide").write_bytes(b"")
    Mailroom.create(tmp_path / "profile", "correct horse battery staple")
    mr = Mailroom.open(tmp_path / "profile", "correct horse battery staple")
    try:
        mr.accounts.add(Account(name="cab", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
        await mr.sync()
        ids = [s.id for folder in mr.folders() for s in mr.summaries(folder)]
        assert len(ids) == 1
        view = mr.read_message(ids[0])
        assert view.body.startswith("Ce message est vide : aucun octet n'a été reçu pour lui")
        assert view.problem == view.body
    finally:
        mr.close()
