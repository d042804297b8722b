"""One sync round with many new letters, results filed and documents to review: the app says it in one toast,
the core's line ('12 nouveaux messages, 3 résultats classés, 2 documents à classer'), not one toast per event
(before: a toast for the new mail, another for the documents to review, each with '(s)' plurals)."""

from __future__ import annotations

from core.events import DocumentFiled, NeedsReview, NewMail, RoundNews
from core.mailroom import round_news
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp


async def test_a_sync_round_is_said_in_one_toast_with_the_cores_words(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        before = len(app._notifications)
        # what the core says during one round, in its order: the review queue, the filed results, the new mail
        # of each account, then the round's news in one line
        mailroom.emit(NeedsReview(2, 2))
        mailroom.emit(DocumentFiled(3))
        mailroom.emit(NewMail("cabinet", 10))
        mailroom.emit(NewMail("secretariat", 2))
        mailroom.emit(RoundNews(None, 12, 3, 2, round_news(12, 3, 2)))
        line = "12 nouveaux messages, 3 résultats classés, 2 documents à classer"
        # the events are handled in the order they came: once the round's toast is there, so is any other
        await until(pilot, lambda: any(str(n.message) == line for n in app._notifications), "the round's toast")
        said = [str(n.message) for n in list(app._notifications)[before:]]
        assert said == [line]
