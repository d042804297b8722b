"""The status bar's outbox count does not load the composer: core.mail.outbox names core.mail.compose's
``Composed`` for its annotations only, and the count (in the app at every start) imported the composer and
email's message classes it uses (some 35 KB). A fresh interpreter counts a queued letter without it."""

from __future__ import annotations

from pathlib import Path

from core.mail.account import Account
from core.mail.compose import compose
from core.mail.outbox import Outbox
from core.mailroom import Mailroom
from core.model import Draft
from tests.fresh import fresh_json

PASS = "correct horse battery staple"

COUNT = """
import json, sys
from pathlib import Path
from core.mailroom import Mailroom
room = Mailroom.open(Path(sys.argv[1]), sys.argv[2])
count = room.outbox_count()
print(json.dumps({"count": count, "composer": "core.mail.compose" in sys.modules}))
room.close()
"""


def test_the_outbox_count_does_not_load_the_composer(tmp_path: Path) -> None:
    room = Mailroom.create(tmp_path / "p", PASS)
    account = Account(name="cabinet", email="dr@cabinet.exemple.fr", smtp_host="smtp.exemple.fr")
    letter = compose(Draft(to=("confrere@hopital.exemple.fr",), subject="Compte rendu", body="Bonjour"), account)
    Outbox(room.profile).enqueue(letter, "cabinet", "Compte rendu")
    room.close()
    result = fresh_json(COUNT, str(tmp_path / "p"), PASS)
    assert result == {"count": 1, "composer": False}
