"""Conversations (core.mail.threads): header chains as mail programs write them, missing parents, loops, and
the subject-only fallback (a reply without references joins an older original of the same subject; two
originals that merely share a subject are never joined)."""

from __future__ import annotations

from core.mail.threads import MAX_LEVELS, ThreadItem, base_subject, reference_chain, thread


def _items(*rows: tuple[str, str, str, str, int]) -> list[ThreadItem]:
    """(Message-ID, References, In-Reply-To, Subject, when) as the headers say them."""
    return [
        ThreadItem(mid, reference_chain(refs, irt), subject, when) for mid, refs, irt, subject, when in rows
    ]


def _shown(items: list[ThreadItem]) -> list[str]:
    return [f"{mark}{items[i].subject}" for i, mark in thread(items)]


def test_a_conversation_with_references_as_thunderbird_writes_them_newest_activity_first() -> None:
    # newest first, as the list gives them: the conversation shows where its latest message is
    items = _items(
        ("<c3@chu.fr>", "<a1@cab.fr> <b2@chu.fr>", "<b2@chu.fr>", "Re: Re: Avis cardiologique", 40),
        ("<x9@labo.fr>", "", "", "Résultats d'analyses", 35),
        ("<b2@chu.fr>", "<a1@cab.fr>", "<a1@cab.fr>", "Re: Avis cardiologique", 20),
        ("<d4@cab.fr>", "<a1@cab.fr>", "<a1@cab.fr>", "Re: Avis cardiologique", 30),
        ("<a1@cab.fr>", "", "", "Avis cardiologique", 10),
    )
    assert _shown(items) == [
        "Avis cardiologique",
        "├─Re: Avis cardiologique",  # b2 (20) before d4 (30): replies oldest first
        "│ └─Re: Re: Avis cardiologique",
        "└─Re: Avis cardiologique",
        "Résultats d'analyses",
    ]


def test_outlook_style_in_reply_to_only_and_a_broken_in_reply_to() -> None:
    items = _items(
        ("<m1@cab.fr>", "", "", "Patiente à revoir", 1),
        # Outlook: In-Reply-To only, with a comment after the id
        ("<m2@chu.fr>", "", "<m1@cab.fr> (message du Dr Martin du 2 juin)", "RE: Patiente à revoir", 2),
        # In-Reply-To is junk (no id), the References still say it (notmuch's test of broken headers)
        ("<m3@cab.fr>", "<m1@cab.fr> <m2@chu.fr>", "mumble", "Re: Patiente à revoir", 3),
    )
    assert _shown(items) == ["Patiente à revoir", "└─RE: Patiente à revoir", "  └─Re: Patiente à revoir"]


def test_a_missing_parent_in_the_middle_hands_its_replies_up_and_a_missing_top_shows_as_a_gap() -> None:
    # b (the middle) was deleted: c, which references a and b, goes under a
    middle = _items(
        ("<a@x>", "", "", "Question", 1),
        ("<c@x>", "<a@x> <b@x>", "<b@x>", "Re: Re: Question", 3),
    )
    assert _shown(middle) == ["Question", "└─Re: Re: Question"]
    # the first message of the conversation is not here (another folder): its two replies stay together,
    # drawn one level down under nothing, not as two separate conversations
    top = _items(
        ("<r2@x>", "<orig@x>", "<orig@x>", "Re: Dossier", 3),
        ("<other@x>", "", "", "Autre chose", 2),
        ("<r1@x>", "<orig@x>", "<orig@x>", "Re: Dossier", 1),
    )
    assert _shown(top) == ["├─Re: Dossier", "└─Re: Dossier", "Autre chose"]
    # with a single reply, that reply is the top
    one = _items(("<r1@x>", "<orig@x>", "<orig@x>", "Re: Dossier", 1))
    assert _shown(one) == ["Re: Dossier"]


def test_loops_duplicate_ids_and_self_references_never_lose_a_message() -> None:
    items = _items(
        ("<a@x>", "<b@x>", "<b@x>", "A", 1),  # a says its parent is b...
        ("<b@x>", "<a@x>", "<a@x>", "B", 2),  # ...and b says a: one link is refused
        ("<a@x>", "", "", "A bis (same id)", 3),
        ("<s@x>", "<s@x>", "<s@x>", "Self", 4),
        ("", "", "", "No id", 5),
    )
    shown = thread(items)
    assert sorted(i for i, _ in shown) == [0, 1, 2, 3, 4]  # each message once
    marks = dict(shown)
    assert marks[3] == "" and marks[4] == ""  # self-reference and no id: conversations of their own
    assert {marks[0], marks[1]} == {"", "└─"}  # a and b: one under the other, not a loop


def test_subject_only_joins_a_reply_without_references_to_the_older_original_only() -> None:
    items = _items(
        ("<t@x>", "", "", "TR: Résultats d'analyses", 6),  # forwarded, no references: joins the newest older
        ("<r@x>", "", "", "Re : Résultats DUPONT", 5),  # a mailer that forgets the references
        ("<l2@labo>", "", "", "Résultats d'analyses", 4),  # two lab results, two patients, same subject
        ("<l1@labo>", "", "", "Résultats d'analyses", 3),
        ("<o@x>", "", "", "Résultats DUPONT", 2),
    )
    assert _shown(items) == [
        "Résultats d'analyses",  # l2 (4)
        "└─TR: Résultats d'analyses",
        "Résultats DUPONT",
        "└─Re : Résultats DUPONT",
        "Résultats d'analyses",  # l1 stays its own
    ]
    # a reply older than every original is not moved under a later message
    late = _items(("<r@x>", "", "", "Re: Bilan", 1), ("<o@x>", "", "", "Bilan", 2))
    assert _shown(late) == ["Re: Bilan", "Bilan"]


def test_deep_conversations_fit_eighty_columns() -> None:
    rows = [("<m0@x>", "", "", "Départ", 0)]
    for n in range(1, 15):
        refs = " ".join(f"<m{k}@x>" for k in range(n))
        rows.append((f"<m{n}@x>", refs, f"<m{n - 1}@x>", f"Re: {n}", n))
    marks = [mark for _, mark in thread(_items(*rows))]
    assert marks[1] == "└─" and marks[2] == "  └─"
    assert max(len(m) for m in marks) <= 2 * MAX_LEVELS
    assert marks[-1].startswith("…")


def test_reply_prefixes_in_french_and_english() -> None:
    assert base_subject("RE : Réf: Avis") == ("AVIS", True)
    assert base_subject("Fwd: Tr: AW[2]: Avis") == ("AVIS", True)
    assert base_subject("Avis") == ("AVIS", False)
    assert base_subject("Réunion") == ("REUNION", False)  # a word that starts like a prefix is not one
