"""À classer, a document whose container names another patient (HL7 PID vs embedded CDA): the core's reason
above the comparison and the envelope's patient in a column of its own, beside the document's and the
candidate's, at 80x24."""

from __future__ import annotations

from pathlib import Path

from core.clinical.readers import read_document
from core.model import Candidate
from tests.clinical.test_envelope_conflict import VINCI, oru
from tests.tui.conftest import settle
from tests.tui.fakes import FakeEntry, FakeMailroom
from tests.tui.test_flows import open_review_at, text_of
from tui.app import MissiveApp

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"


async def test_the_review_pane_shows_the_reason_and_both_identities(mailroom: FakeMailroom) -> None:
    (doc,) = read_document(oru(pid_traits=VINCI, pid_ins=False, cda_ins=False), "r.hl7").documents
    assert doc.envelope is not None
    mailroom.documents.entries["d-conflict"] = FakeEntry(
        "d-conflict", doc, (Candidate("p-1", 0.9, ("date de naissance identique",)),), "review", "waiting"
    )
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-conflict")
        box = app.screen.query_one("#review-compare")
        assert "nomment deux patients différents" in str(box.border_title)  # the core's words, as its title
        compare = text_of(app, "#review-compare")
        assert box.size.height >= len(compare.rstrip("\n").splitlines())  # every row is on screen at 80x24
        header = next(line for line in compare.splitlines() if "Document" in line)
        assert header.index("Document") < header.index("Enveloppe") < header.index("Patient")
        name = next(line for line in compare.splitlines() if line[2:].startswith("Nom "))
        assert name.index("PAT-TROIS") < name.index("DE VINCI")
        born = next(line for line in compare.splitlines() if "Naissance" in line)
        assert "28/03/1979" in born and "15/04/1952" in born
        sex = next(line for line in compare.splitlines() if "Sexe" in line)
        assert sex.split()[1:3] == ["F", "M"]
        await pilot.press("up")  # another document: the usual title
        await settle(app, pilot)
        assert "deux patients" not in str(box.border_title)


async def test_the_pid_own_results_show_the_carried_documents_patient_under_its_name(
    mailroom: FakeMailroom,
) -> None:
    """An HL7 message's own results whose carried CDA names another patient: the column beside them is that
    document's patient, named so by the core ('Doc. porté'), never 'Enveloppe' (it is not the container)."""
    own = read_document((DATA / "hl7_oru_multi.hl7").read_bytes(), "r.hl7").documents[0]
    assert own.envelope_from == "hl7v2-carried"
    mailroom.documents.entries["d-own"] = FakeEntry(
        "d-own", own, (Candidate("p-1", 0.9, ("date de naissance identique",)),), "review", "waiting"
    )
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-own")
        box = app.screen.query_one("#review-compare")
        assert "le document CDA que porte ce message HL7" in str(box.border_title)
        compare = text_of(app, "#review-compare")
        header = next(line for line in compare.splitlines() if "Document" in line)
        assert "Enveloppe" not in header
        assert header.index("Document") < header.index("Doc. porté") < header.index("Patient")
        name = next(line for line in compare.splitlines() if line[2:].startswith("Nom "))
        assert name.index("DURAND") < name.index("FAURE")


def test_the_reader_and_messages_show_say_the_conflict() -> None:
    """The reader's block about a document and `missive messages show`'s line carry the core's reason (the
    reader with the envelope's patient) for a document held because its container names another patient."""
    from core.model import ReviewItem
    from tui.commands.mail import _document_line
    from tui.panes.reader import whose

    (doc,) = read_document(oru(pid_traits=VINCI, pid_ins=False, cda_ins=False), "r.hl7").documents
    reason = "l'en-tête HL7 (PID) et le document nomment deux patients différents"
    item = ReviewItem(id="d-1", identity=doc.identity, format="cda", envelope=doc.envelope, conflict=reason)
    shown = whose(doc, item).plain
    assert reason in shown and "DE VINCI LEONARD" in shown and "15/04/1952" in shown
    assert shown.index("PAT-TROIS") < shown.index("DE VINCI")
    line = _document_line(item)
    assert "missive file d-1" in line and reason in line and "\n" not in line
    assert reason not in whose(doc, ReviewItem(id="d-1", identity=doc.identity)).plain


async def test_at_60_columns_the_containers_patient_is_stacked_under_the_comparison(mailroom: FakeMailroom) -> None:
    """At 60x20 three columns (document, envelope, candidate) wrapped, each trait over two rows, unreadable: the
    envelope's patient goes on one line under the two columns; every row fits the box, every trait is there,
    and the first candidate's line is still on screen. At 80x24 the three columns stay."""
    from dataclasses import replace

    from textual.widgets import OptionList

    (doc,) = read_document(oru(pid_traits=VINCI, pid_ins=False, cda_ins=False), "r.hl7").documents
    assert doc.envelope is not None
    doc = replace(
        doc,
        identity=replace(doc.identity, given_names=("MARIE-HELENE", "FRANCOISE"), ins="293081349650112"),
        envelope=replace(doc.envelope, given_names=("LEONARD", "PIERO"), ins="152041375273896"),
    )
    mailroom.documents.entries["d-conflict"] = FakeEntry(
        "d-conflict", doc, (Candidate("p-1", 0.9, ("date de naissance identique",)),), "review", "waiting"
    )
    for size, stacked in (((60, 20), True), ((80, 24), False)):
        app = MissiveApp(mailroom=mailroom)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            await open_review_at(app, pilot, "d-conflict")
            box = app.screen.query_one("#review-compare")
            lines = text_of(app, "#review-compare").rstrip("\n").splitlines()
            assert all(len(line) <= box.content_size.width for line in lines), (size, lines)
            assert box.size.height >= len(lines)  # no row cut
            header = next(line for line in lines if "Document" in line)
            assert ("Enveloppe" in header) is not stacked
            if stacked:
                assert lines[-1].startswith("  Enveloppe : DE VINCI LEONARD PIERO 15/04/1952 M")
            for row in ("Nom ", "Nom de naissance", "Prénoms", "Naissance", "Sexe", "INS / NIR"):
                assert any(row in line for line in lines), row
            candidates = app.screen.query_one("#review-candidates", OptionList)
            assert candidates.size.height >= 1 and candidates.region.bottom <= app.screen.size.height - 2


async def test_a_candidates_reasons_are_indented_under_its_name_on_every_line(mailroom: FakeMailroom) -> None:
    """The reasons under « 90% NAME » wrapped back to column 1 at 80 columns: each of their lines is indented."""
    from textual.widgets import OptionList

    entry = mailroom.documents.entries["d-ambiguous"]
    entry.candidates = (
        Candidate("p-2", 0.9, ("NIR identique (peut être celui de l'assuré)", "date de naissance avec jour et mois inversés",
                               "nom de naissance identique", "premier prénom identique", "sexe identique")),
    )  # fmt: skip
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-ambiguous")
        candidates = app.screen.query_one("#review-candidates", OptionList)
        first, *reasons = str(candidates.get_option_at_index(0).prompt).splitlines()
        assert first.startswith(" 90% ") and len(reasons) >= 2
        width = candidates.scrollable_content_region.width
        assert all(line.startswith("     ") and len(line) <= width for line in reasons), reasons
        assert "sexe identique" in reasons[-1]
