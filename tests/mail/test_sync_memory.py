"""What a long first sync keeps in memory does not grow with the mailbox: the store holds the metadata of a
few shards, not of every group it wrote, and the hook opens the patient registry only for a document it
has to match."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from core.mail.messages import CACHED_SHARDS, UID_GROUP, FolderState, MessageStore, summary_of
from core.mailroom import Mailroom
from core.store.profile import Profile
from tests.mail.helpers import letter

PASS = "correct horse battery staple"


def test_a_long_sync_keeps_few_shards_of_messages_in_memory(tmp_path: Path) -> None:
    store = MessageStore(Profile.create(tmp_path / "p", PASS))
    state = FolderState("cab", "INBOX", uidvalidity=7, pending={})
    groups = 3 * CACHED_SHARDS
    for g in range(groups):  # one batch per UID group, as the sync stores them
        uids = range(g * UID_GROUP + 1, (g + 1) * UID_GROUP + 1)
        store.store_new(
            state, [(u, [], letter(f"lettre {u}"), summary_of(letter(f"lettre {u}"))) for u in uids]
        )
        assert len(store.docs._shards) <= CACHED_SHARDS
    held = sum(len(s.storage._data["_default"]) for s in store.docs._shards.values() if s.storage._data)
    assert held <= groups * UID_GROUP / 2  # a few shards' worth, however many groups were written
    again = MessageStore(Profile.open(tmp_path / "p", PASS))
    assert len(again.list()) == groups * UID_GROUP
    assert again.get_raw(state.message_id(5)) == letter("lettre 5")  # a shard long gone from memory


def test_a_pdf_that_names_no_patient_leaves_the_patient_registry_closed(cli, profile_dir: Path) -> None:
    """Most attachments are not results (one letter in ten carries one in the sync bench): the hook reads
    them, and the patient registry (its index, its modules) is opened only when a document is matched."""
    assert cli("init")[0] == 0
    mailroom = Mailroom.open(profile_dir, PASS)
    blob = base64.encodebytes(os.urandom(3000)).decode()
    raw = (
        "From: corr@missive.test\nTo: dr@missive.test\nSubject: Courrier\nMessage-ID: <m1@missive.test>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
        "--b\nContent-Type: text/plain; charset=utf-8\n\nBonjour\n"
        '--b\nContent-Type: application/pdf; name="piece-jointe.pdf"\n'
        'Content-Disposition: attachment; filename="piece-jointe.pdf"\n'
        f"Content-Transfer-Encoding: base64\n\n{blob}--b--\n"
    ).encode()
    meta = mailroom.on_new_message(raw, "0" * 32)
    assert meta["has_attachments"] is True
    assert "patients" not in mailroom.__dict__


def test_receipts_are_read_only_from_letters_that_carry_or_ask_one(cli, profile_dir: Path) -> None:
    """A plain letter leaves the receipts module unimported (the hook ran it for every message); a letter
    asking for a read receipt still says so."""
    import subprocess
    import sys

    assert cli("init")[0] == 0
    script = (
        "import sys\n"
        "from core.mailroom import Mailroom\n"
        f"mr = Mailroom.open({str(profile_dir)!r}, {PASS!r})\n"
        "plain = b'From: a@missive.test\\nTo: dr@missive.test\\nSubject: x\\n\\nBonjour\\n'\n"
        "print(mr.on_new_message(plain, '0' * 32).get('read_receipt_requested'), 'core.mail.receipts' in sys.modules)\n"
        "asked = b'From: a@missive.test\\nDisposition-Notification-To: a@missive.test\\nSubject: y\\n\\nBonjour\\n'\n"
        "print(mr.on_new_message(asked, '1' * 32).get('read_receipt_requested'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["None", "False", "True"]


def test_the_cda_and_xdm_readers_are_imported_only_for_xml_and_zip_content() -> None:
    """Sniffing attachments that are neither XML nor a zip (a PDF, an image, an XML page that is no CDA)
    leaves the CDA and XDM readers (xml.etree, expat, zipfile) unimported; a CDA document and a zip still
    get their answers."""
    import subprocess
    import sys

    script = (
        "import random, sys\n"
        "from core.clinical.readers import looks_clinical, detect_format\n"
        "noise = b'<' + random.Random(7).randbytes(16383)\n"
        "heads = [noise, b'%PDF-1.4 ...', b'<html><body>Bonjour</body></html>', b'\\xff\\xd8\\xff\\xe0JFIF']\n"
        "print([looks_clinical(h, 'piece.pdf', 'application/pdf') for h in heads])\n"
        "print(all(m not in sys.modules for m in ('core.clinical.cda', 'core.clinical.xdm')))\n"
        "cda = b'<?xml version=\"1.0\"?><ClinicalDocument xmlns=\"urn:hl7-org:v3\"></ClinicalDocument>'\n"
        "print(detect_format(cda), looks_clinical(b'PK\\x03\\x04' + b'IHE_XDM/x' * 10, 'p.zip'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:3] == ["[False, True, False, False]", "True", "cda True"]
