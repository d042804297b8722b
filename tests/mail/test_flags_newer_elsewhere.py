"""The app and `missive daemon` on one profile each hold a folder's sync state (2e847a9): a flag the app changes
while the daemon's round still holds the same letter's older flag unsent must not be saved over.

The daemon's round reads the state with the letter the doctor has just read (\\Seen, waiting for the server);
she then files it in the app ($Filed beside \\Seen, waiting too). The round saves its copy before it has sent
anything (its saves every few batches during a long fetch, or a round whose push failed): the app's newer flags
were replaced by the round's older ones, then sent and dropped, so the server never had $Filed and the other
desks saw the letter as not filed (filed a second time into the patient's record)."""

from __future__ import annotations

from core.mail.messages import FolderState, MessageStore
from tests.mail.helpers import MemoryProfile, letter


def test_a_flag_changed_elsewhere_since_the_round_began_is_kept_by_its_save() -> None:
    profile = MemoryProfile()
    daemon, app = MessageStore(profile), MessageStore(profile)  # two processes, one profile
    state = FolderState("cab", "INBOX", 1)
    (mid,) = daemon.store_new(state, [(1, [], letter("Compte rendu"), {})])
    daemon.save_state(state)
    app.add_flags(mid, "\\Seen")  # read in the app: waiting for the server

    round_state = daemon.folder_state("cab", "INBOX")  # the daemon's round begins with that \Seen
    assert round_state.pending == {1: ["\\Seen"]}
    app.add_flags(mid, "$Filed")  # filed in the app meanwhile
    daemon.save_state(round_state)  # the round's save before its push (or after a push that failed)

    waiting = daemon.folder_state("cab", "INBOX").pending or {}
    assert set(waiting[1]) == {"\\Seen", "$Filed"}  # was {'\\Seen'}: $Filed never reached the server
    assert set(round_state.pending or {}) == {1} and set(round_state.pending[1]) == {"\\Seen", "$Filed"}


def test_what_the_round_itself_changed_or_sent_stays_its_own() -> None:
    profile = MemoryProfile()
    daemon, app = MessageStore(profile), MessageStore(profile)
    state = FolderState("cab", "INBOX", 1)
    first, second = daemon.store_new(state, [(1, [], letter("A"), {}), (2, [], letter("B"), {})])
    daemon.save_state(state)
    app.add_flags(first, "\\Seen")
    app.add_flags(second, "\\Seen")
    round_state = daemon.folder_state("cab", "INBOX")
    round_state.pending.pop(1)  # the round sent A's \Seen
    daemon.save_state(round_state)
    assert (daemon.folder_state("cab", "INBOX").pending or {}) == {2: ["\\Seen"]}  # A's not sent again
