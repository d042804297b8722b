"""Rédaction: To/Cc with completion, per-recipient indicators, body, attachments, encrypted drafts.

| Key | Action |
| --- | --- |
| (typing in À/Cc) | a list of recipients: past correspondents first, then the directory by name, specialty, town |
| down/up, enter/tab | move in that list, take the highlighted address (tab: and go to the next field); escape closes it |
| right | accept the suggested address |
| ctrl+s, F9 | send |
| ctrl+o | attach a file |
| ctrl+g | write the body in the external editor ($VISUAL/$EDITOR; ``[compose] editor_command``) |
| F8 | discard the draft |
| escape | back to Réception (the draft is already saved, encrypted: nothing to ask) |
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from core.errors import KeptInOutbox, MissiveError
from core.model import Attachment, Draft, SavedDraft, printable
from tui import keymap
from tui.facade import mailroom_of, missive_app
from tui.failures import ReportsFailures
from tui.i18n import t
from tui.messages import AddressesFound, DraftsChanged, LetterSent, ProtectionDecided, SendEnded, SendersKnown

if TYPE_CHECKING:
    from core.mailroom import MailroomAPI

log = logging.getLogger("missive.tui")

DRAFT_DELAY = 1.0  # seconds of quiet typing before the draft is written (encrypted) to the profile


def split_addresses(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.replace(";", ",").split(",") if a.strip())


class AddressSuggester(Suggester):
    """Completes the last address of a comma-separated list inline (→ accepts) with the first of the core's
    choices that starts with what is typed."""

    def __init__(self, mailroom: Callable[[], MailroomAPI]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._mailroom = mailroom

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(",")
        last = last.lstrip()
        if len(last) < 2:
            return None
        found = await asyncio.to_thread(self._mailroom().complete_address, last, 5)
        for choice in found:
            address = choice.address
            if address.lower().startswith(last.lower()):
                prefix = f"{head}, " if head else ""
                return prefix + last + address[len(last) :]
        return None


class PathSuggester(Suggester):
    """Completes the file path being typed for ctrl+o inline (→ or Tab accepts): the first name of that folder
    that starts with the last part typed (a folder gets its '/'); hidden names only when a '.' is typed. Nothing
    is read but the folder's list of names."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value)


def complete_path(value: str) -> str | None:
    """``value`` completed with the rest of the first matching name of its folder (see PathSuggester)."""
    if not value.strip():
        return None
    head, sep, start = value.rpartition(os.sep)
    folder = os.path.expanduser(head + sep) if sep else "."
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                (entry.name, entry.is_dir())
                for entry in entries
                if entry.name.startswith(start) and (start.startswith(".") or not entry.name.startswith("."))
            )
    except OSError:
        return None
    for name, is_dir in names:
        if name != start or is_dir:
            return value + name[len(start) :] + (os.sep if is_dir else "")
    return None


class PathInput(Input):
    """The path of the file to attach: Tab takes the completion shown (as →) and stays in the field; the keys
    line says Entrée attaches, Tab completes, Échap gives up (the pane's keys beneath do not apply here)."""

    BINDINGS = [Binding("tab", "complete", show=False), Binding("escape", "cancel", show=False)]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keymap.show_in_footer(
            self, {"submit": t("footer.attach"), "complete": t("footer.complete"), "cancel": t("footer.cancel")}
        )

    def action_cancel(self) -> None:
        """Échap: out of the path, nothing attached (the pane's escape, which does that from here)."""
        pane = next((n for n in self.ancestors if isinstance(n, ComposePane)), None)
        if pane is not None:
            pane.action_leave()

    def action_complete(self) -> None:
        if self._suggestion and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)


class AddressInput(Input):
    """To or Cc: while the pane's list of recipients is open, down/up move in it, enter or tab take the
    highlighted address (tab then moves on; escape, the pane's key, closes it); otherwise these keys do what they
    do elsewhere."""

    BINDINGS = [
        Binding("down", "choice(1)", show=False),
        Binding("up", "choice(-1)", show=False),
        Binding("enter", "take_choice", show=False),
        Binding("tab", "take_choice(True)", show=False),
    ]  # escape is the pane's (its footer word stays): it closes the list first

    def _pane(self) -> ComposePane:
        return next(a for a in self.ancestors if isinstance(a, ComposePane))

    def action_choice(self, step: int) -> None:
        if not self._pane().move_choice(step):
            raise SkipAction()

    def action_take_choice(self, move_on: bool = False) -> None:
        """Entrée takes the address and stays (for another after a comma); Tab takes it and moves on to the next
        field, as Tab always does: "claire.mar Tab Tab Avis" puts the subject in Objet, not in Cc."""
        if not self._pane().take_choice(self):
            raise SkipAction()
        if move_on:
            self.screen.focus_next()

    def on_blur(self) -> None:
        self._pane().close_choices()


def _choice_prompt(choice: Any) -> Content:
    """One line of the list: who (the directory's words, else the letters'), the address, and for a past
    correspondent how many letters."""
    parts: list[str | tuple[str, str]] = [(choice.label, "bold")]
    if choice.address.lower() not in choice.label.lower():
        parts.append(("  " + choice.address, "$text-muted"))
    if choice.past:
        parts.append(
            (
                "  "
                + t(
                    "compose.choice_letters_one" if choice.letters == 1 else "compose.choice_letters_many",
                    count=choice.letters,
                ),
                "$text-accent",
            )
        )
    return Content.assemble(*parts)


def _why_not(decision: Any) -> str:
    if decision.sign_problem:
        return " ".join(decision.sign_problem.split())
    return decision.refused[0][1]


def letter_fate(decision: Any) -> tuple[str, str]:
    """The whole letter's fate in words, and its style: encrypted or in clear (and why), signed or not, or
    that it cannot leave."""
    if not decision.can_send:
        return t("compose.fate_refused", reason=_why_not(decision)), "$error bold"
    signed = "signed" if decision.signed else "unsigned"
    if decision.encrypted:
        return t(f"compose.fate_encrypted_{signed}"), "$success bold"
    reasons = []
    if decision.unknown:
        reasons.append(t("compose.why_unknown", who=", ".join(decision.unknown)))
    if decision.patients:
        reasons.append(t("compose.why_patient", who=", ".join(decision.patients)))
    return t(f"compose.fate_clear_{signed}", why=" ; ".join(reasons)), "$warning bold"


class LetterBody(TextArea, inherit_bindings=False):
    """The letter's text: Textual's editor without its F6 (select line) and F7 (select all) keys, which
    made the next keystroke replace the whole letter (and the autosave keep the damage). Selection stays
    on shift+arrows; F6/F7 do nothing here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        b
        for b in TextArea.BINDINGS
        if not {k.strip() for k in (b.key if isinstance(b, Binding) else b[0]).split(",")} & {"f6", "f7"}
    ]


class ComposePane(ReportsFailures, Vertical):
    """Rédaction (key 3)."""

    BINDINGS = keymap.bindings("compose")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        keymap.localise(self)
        self.draft_id = uuid.uuid4().hex
        self._kept_id: str | None = None  # the draft id last written to Brouillons by this composer
        self._as_started: Draft | None = None  # the letter as c, r, g, f or Annuaire filled it: not yet written
        self.attachments: list[Attachment] = []
        self.in_reply_to: str | None = None
        self.protection: Any = None  # the core's decision for ``self.protected_for``
        self.protected_for: tuple[str, ...] = ()
        self._draft_timer: Timer | None = None
        self._check_timer: Timer | None = None
        self.end_conversation = False  # to a patient: X-MSS-MES: FIN (ctrl+t)
        self.who: dict[str, Any] = {}  # address -> the core's reading: patient (name, INS) or colleague
        self.choices: list[Any] = []  # the core's recipients for what is typed (core.model.AddressChoice)
        self.choices_for = ""  # the field they were found for
        self._choices_timer: Timer | None = None
        self._taken = ""  # a field's value right after a choice was taken: no new list for it
        self.account: str | None = None  # the account the letter leaves from (None: the default one)
        self.senders: list[tuple[str, str]] = []  # (account, address) the letter can leave from
        # the letters whose send is under way (draft ids): the outbox has them, or is about to. A server slow
        # to answer kept the letter on screen with no word for a minute; ctrl+s again queued a second copy,
        # and the colleague got the letter twice (gp9, Postfix stopped mid-send)
        self.sending: set[str] = set()

    def compose(self) -> ComposeResult:
        # Set up here, not in on_mount: a quit during the mount leaves no children to query (a traceback).
        suggester = AddressSuggester(lambda: mailroom_of(self))
        with Horizontal(classes="compose-row", id="compose-from-row") as from_row:
            from_row.display = False  # shown when the profile has two accounts or more
            yield Label(t("compose.from"), classes="compose-label")
        with Horizontal(classes="compose-row"):
            yield Label(t("compose.to"), classes="compose-label")
            # select_on_focus off: Tab back into a field and type adds to it (Textual selected all: typing replaced)
            yield AddressInput(
                id="compose-to", suggester=suggester, placeholder=t("compose.to_placeholder"), select_on_focus=False
            )
        with Horizontal(classes="compose-row"):
            yield Label(t("compose.cc"), classes="compose-label")
            yield AddressInput(id="compose-cc", suggester=suggester, select_on_focus=False)
        choices = OptionList(id="compose-choices")
        choices.display = False
        choices.can_focus = False  # the field keeps the focus: typing goes on while the list follows
        yield choices
        with Horizontal(classes="compose-row"):
            yield Label(t("compose.subject"), classes="compose-label")
            yield Input(id="compose-subject", select_on_focus=False)
        yield Static(t("compose.no_recipient"), id="compose-recipients")
        attachments = Static("", id="compose-attachments")
        attachments.display = False
        yield attachments
        attach_path = PathInput(
            placeholder=t("compose.attach_placeholder"),
            id="compose-attach-path",
            suggester=PathSuggester(),
            select_on_focus=False,  # a path given back to correct: the caret after it, not all of it selected
        )
        attach_path.display = False
        yield attach_path
        yield LetterBody(id="compose-body", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        self.border_title = t("pane.compose")
        self.load_senders()

    # -- From: the account the letter leaves from ----------------------------------------------------------
    @work(thread=True, exclusive=True, group="senders", exit_on_error=False)
    def load_senders(self) -> None:
        self.post_message(SendersKnown(mailroom_of(self).senders()))

    async def on_senders_known(self, message: SendersKnown) -> None:
        self.senders = list(message.senders)
        row = self.query_one("#compose-from-row", Horizontal)
        row.display = len(self.senders) > 1
        if len(self.senders) > 1 and not self.query("#compose-from"):
            names = [name for name, _ in self.senders]
            choose = Select(
                [(f"{address} ({name})", name) for name, address in self.senders],
                allow_blank=False,
                value=self.account if self.account in names else names[0],  # no first value to undo
                compact=True,
                id="compose-from",
            )
            # mounted whole before its value is set again: a reply started meanwhile (start) may have changed the
            # account, and a Select given a value before its own parts exist fails (NoMatches '#label')
            await row.mount(choose)
            self._show_account()
        else:
            self._show_account()

    def _show_account(self) -> None:
        """The From row says the letter's account: the one asked for when it is one of ours, else the default
        (the first); the protection check follows it."""
        names = [name for name, _ in self.senders]
        if names and self.account not in names:
            self.account = names[0]
        for choose in self.query("#compose-from").results(Select):
            if choose.is_mounted and choose.value != self.account:  # one being mounted is set once it is
                choose.value = self.account
        self.check_recipients()

    @on(Select.Changed, "#compose-from")
    def _account_chosen(self, event: Select.Changed) -> None:
        if event.value != event.select.value:
            return  # a stale change: the line shows another account since
        if event.value != self.account and isinstance(event.value, str):
            self.account = event.value
            self.check_recipients()  # the certificate, hence the protection, is the account's
            self._schedule_draft()

    # -- starting a letter --------------------------------------------------------------------------------
    def start(
        self,
        to: tuple[str, ...] = (),
        subject: str = "",
        body: str = "",
        in_reply_to: str | None = None,
        *,
        cc: tuple[str, ...] = (),
        attachments: tuple[Attachment, ...] = (),
        account: str | None = None,
        focus: bool = True,
    ) -> None:
        """A fresh letter (from c, r, f or Annuaire); the previous draft stays saved. ``account``: the account of
        the message answered (the letter leaves from it), else the default one. ``focus``: its first field
        takes the focus (not when the composer is out of sight)."""
        self.draft_id = uuid.uuid4().hex
        self._paint_sending()  # a fresh letter takes keys, whatever the previous one is doing
        self.account = account
        self.attachments = list(attachments)  # a forward keeps the original's files
        self.in_reply_to = in_reply_to
        self.end_conversation = False
        self._fill(", ".join(to), ", ".join(cc), subject)
        self.query_one("#compose-body", TextArea).text = body
        self._paint_attachments()
        self._as_started = self.draft()
        target = "#compose-subject" if to and not subject else "#compose-body" if to else "#compose-to"
        if focus:
            self.query_one(target).focus()
        self.ready()
        self._show_account()  # and the indicators at once for a reply or a letter from Annuaire
        if to and mailroom_of(self).settings.compose.editor == "external":
            self.call_after_refresh(self.action_external_editor)  # [compose] editor = "external"

    def _fill(self, to: str, cc: str, subject: str) -> None:
        """The fields of a letter started for the user, each caret after its text: going back to a field and
        typing adds to it (Textual keeps a caret left at 0 by an earlier letter, and the words went first)."""
        for selector, value in (("#compose-to", to), ("#compose-cc", cc), ("#compose-subject", subject)):
            field = self.query_one(selector, Input)
            field.value = value
            field.cursor_position = len(value)

    def reopen(self, saved: SavedDraft) -> None:
        """Go on writing a kept draft (from Brouillons): it keeps its id, so saving replaces it."""
        draft = saved.draft
        self.draft_id = saved.id
        self._paint_sending()
        self._kept_id = saved.id
        self.account = draft.account
        self.attachments = list(draft.attachments)
        self.in_reply_to = draft.in_reply_to
        self.end_conversation = draft.end_conversation  # ctrl+t is the letter's, not the previous one's
        self._fill(", ".join(draft.to), ", ".join(draft.cc), draft.subject)
        self.query_one("#compose-body", TextArea).text = draft.body
        self._paint_attachments()
        self._as_started = None  # a kept letter: one, even untouched
        self.query_one("#compose-body" if draft.to else "#compose-to").focus()
        self.ready()
        self._show_account()

    def focus_body(self) -> None:
        """Back to the letter being written (a new one was asked, then not wanted)."""
        self.query_one("#compose-body").focus()
        self.ready()

    def ready(self) -> None:
        """The letter has the keyboard: the keys typed after r, c or Entrée on a draft may come (MissiveApp holds
        them until now). Called right after the field's focus() is asked: the app's queue sets the focus first."""
        app = missive_app(self)
        app.call_later(app.release_keys, "letter")

    def draft(self) -> Draft:
        return Draft(
            to=split_addresses(self.query_one("#compose-to", Input).value),
            cc=split_addresses(self.query_one("#compose-cc", Input).value),
            subject=self.query_one("#compose-subject", Input).value.strip(),
            body=self.query_one("#compose-body", TextArea).text,
            attachments=tuple(self.attachments),
            in_reply_to=self.in_reply_to,
            end_conversation=self.end_conversation,
            account=self.account if len(self.senders) > 1 else None,
        )

    # -- typing: indicators and drafts --------------------------------------------------------------------
    @on(Input.Changed, "#compose-to, #compose-cc")
    def _recipients_changed(self, event: Input.Changed) -> None:
        self._schedule_check()
        self._schedule_draft()
        if event.input.has_focus and event.value != self._taken:
            self._schedule_choices(event.input)

    # -- the list of recipients (completion) --------------------------------------------------------------
    def _schedule_choices(self, field: Input) -> None:
        if self._choices_timer is not None:
            self._choices_timer.stop()
        field_id, text = field.id or "", field.value
        self._choices_timer = self.set_timer(0.15, lambda: self.find_choices(field_id, text))

    @work(thread=True, exclusive=True, group="choices", exit_on_error=False)
    def find_choices(self, field_id: str, text: str) -> None:
        last = text.rpartition(",")[2].strip()
        found = mailroom_of(self).complete_address(last, 8) if len(last) >= 2 else []
        self.post_message(AddressesFound(field_id, text, found))

    def on_addresses_found(self, message: AddressesFound) -> None:
        field = self.query_one(f"#{message.field_id}", Input)
        if field.value != message.text or not field.has_focus:
            return  # typed on since, or left the field: a newer answer (or none) is due
        last = message.text.rpartition(",")[2].strip().lower()
        complete = any(c.address.lower() == last for c in message.choices)  # typed in full: nothing to offer
        self.choices = [] if complete else list(message.choices)
        self.choices_for = message.field_id
        widget = self.query_one("#compose-choices", OptionList)
        widget.clear_options()
        if not self.choices:
            widget.display = False
            return
        widget.add_options(Option(_choice_prompt(c), id=str(i)) for i, c in enumerate(self.choices))
        widget.highlighted = 0
        widget.display = True

    def move_choice(self, step: int) -> bool:
        widget = self.query_one("#compose-choices", OptionList)
        if not widget.display or not self.choices:
            return False
        at = (widget.highlighted or 0) + step
        widget.highlighted = max(0, min(len(self.choices) - 1, at))
        return True

    def take_choice(self, field: Input) -> bool:
        """The highlighted address in place of what is being typed (the last of the list)."""
        widget = self.query_one("#compose-choices", OptionList)
        if not widget.display or not self.choices or self.choices_for != field.id:
            return False
        last = field.value.rpartition(",")[2].strip().lower()
        if any(c.address.lower() == last for c in self.choices):
            # typed in full since the list was found (keys typed ahead come one by one: on a loaded machine the
            # list of 'claire.mar' could show before the rest came): Tab moves on, as when no list is open
            self.close_choices()
            return False
        choice = self.choices[widget.highlighted or 0]
        head = field.value.rpartition(",")[0].strip()
        value = f"{head}, {choice.address}" if head else choice.address
        self._taken = value
        field.value = value
        field.cursor_position = len(value)
        self.close_choices()
        return True

    def close_choices(self) -> bool:
        """Hide the list; False when it was not shown."""
        if self._choices_timer is not None:
            self._choices_timer.stop()
            self._choices_timer = None
        widget = self.query_one("#compose-choices", OptionList)
        shown = bool(widget.display)
        widget.display = False
        self.choices = []
        return shown

    @on(Input.Changed, "#compose-subject")
    @on(TextArea.Changed, "#compose-body")
    def _content_changed(self) -> None:
        self._schedule_draft()

    def _schedule_check(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(0.3, self.check_recipients)

    def _schedule_draft(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self._save_draft)

    def _save_draft(self) -> None:
        self._draft_timer = None
        if self.draft_id in self.sending:  # the outbox has the letter: its draft is the core's to delete or restore
            return
        if self.has_unsent():
            self._kept_id = self.draft_id
            self.save_draft(self.draft_id, self.draft())
        elif self._kept_id == self.draft_id:  # erased to nothing: the draft kept before goes too (Brouillons
            self._kept_id = None  # brought the erased words back)
            self.discard(self.draft_id)

    def _flush_draft(self) -> None:
        """Save now what the draft timer would have saved in a moment."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._save_draft()

    @work(thread=True, exclusive=True, group="draft", exit_on_error=False)
    def save_draft(self, draft_id: str, draft: Draft) -> None:
        mailroom_of(self).save_draft(draft, draft_id)
        self.post_message(DraftsChanged())

    @work(thread=True, exclusive=True, group="recipients", exit_on_error=False)
    def check_recipients(self) -> None:
        draft = self.draft()
        recipients = (*draft.to, *draft.cc)
        mailroom = mailroom_of(self)
        decision = mailroom.letter_protection(list(recipients), draft.account) if recipients else None
        who = mailroom.describe_recipients(list(recipients)) if recipients else {}
        self.post_message(ProtectionDecided(recipients, decision, who))

    def on_protection_decided(self, message: ProtectionDecided) -> None:
        self.protection, self.protected_for = message.decision, message.recipients
        self.who = message.who
        self._paint_recipients()

    def _paint_recipients(self) -> None:
        """Each recipient's certificate, then the whole letter's fate in words: the core's decision."""
        widget = self.query_one("#compose-recipients", Static)
        decision = self.protection
        if decision is None or not self.protected_for:
            widget.update(t("compose.no_recipient"))
            return
        refused = dict(decision.refused)
        styles = {"known": "$success", "unknown": "$warning", "patient": "$warning", "refused": "$error bold"}
        symbols = {"known": "■", "unknown": "□", "patient": "□", "refused": "✗"}
        parts: list[str | tuple[str, str]] = []
        for address in self.protected_for:
            low = address.lower()
            state = (
                "refused" if low in refused
                else "patient" if low in decision.patients
                else "unknown" if low in decision.unknown
                else "known"
            )  # fmt: skip
            who = getattr(self, "who", {}).get(address)
            shown = who.label if who is not None and who.kind == "patient" else address  # name and INS
            parts.append((f"{symbols[state]} {shown} ({t('compose.state_' + state)})", styles[state]))
            parts.append("  ")
        kinds = {w.kind for w in getattr(self, "who", {}).values()}
        if kinds == {"patient", "colleague"}:
            parts.append(("\n" + t("compose.mixed_patient"), "$warning bold"))
        if self.end_conversation:
            parts.append(("\n" + t("compose.end_conversation_on"), "bold"))
        parts.append("\n")
        parts.append(letter_fate(decision))
        widget.update(Content.assemble(*parts))

    # -- leaving ------------------------------------------------------------------------------------------
    def action_leave(self) -> None:
        """Escape: closes the list of recipients, else out of the attachment path, else out of the letter
        (kept as a draft, so nothing to ask)."""
        if self.close_choices():
            return
        path_input = self.query_one("#compose-attach-path", Input)
        if path_input.has_focus:
            path_input.value = ""
            path_input.display = False
            self.query_one("#compose-body").focus()
            return
        self._flush_draft()
        missive_app(self).action_show_pane("inbox")

    # -- the external editor ------------------------------------------------------------------------------
    @on(Input.Submitted, "#compose-subject")
    def _subject_submitted(self) -> None:
        """Enter after the subject: the body, in the external editor when the profile asks for it."""
        if mailroom_of(self).settings.compose.editor == "external":
            self.action_external_editor()
        else:
            self.query_one("#compose-body").focus()

    def action_external_editor(self) -> None:
        """ctrl+g: the body in the user's editor, the terminal handed over (``App.suspend``) until it exits;
        the clear copy is deleted at once (tui.editor)."""
        from textual.app import SuspendNotSupported

        from tui.editor import edit_body, editor_command

        body = self.query_one("#compose-body", TextArea)
        command = editor_command(mailroom_of(self).settings.compose.editor_command)
        self._flush_draft()
        try:
            with self.app.suspend():
                edited = edit_body(body.text, command)
        except SuspendNotSupported:
            log.info("external editor: this terminal cannot be handed over")
            self.notify(t("compose.editor_no_terminal"), severity="error", timeout=10)
            return
        except OSError as exc:  # the private folder could not be made
            log.warning("external editor: no private folder (%s)", type(exc).__name__)
            self.notify(
                t("compose.editor_no_folder", why=exc.strerror or type(exc).__name__), severity="error"
            )
            return
        except MissiveError as exc:
            log.warning("external editor: no private folder (%s)", type(exc).__name__)
            self.notify(str(exc), severity="error", timeout=10)
            return
        if edited.body is None:
            self.notify(
                t(f"compose.editor_{edited.problem}", editor=command[0], status=edited.status),
                severity="warning" if edited.problem == "failed" else "error",
                timeout=10,
            )
        elif edited.body != body.text:
            body.text = edited.body
            self.keep_draft_now()
        body.focus()

    # -- attachments --------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Ctrl+o is off the keys line while the path is being typed (it is there already: the line says what
        Entrée, Tab and Échap do in it, and the panes' keys stay on 80 columns)."""
        if action == "attach":
            try:
                return not self.query_one("#compose-attach-path", Input).has_focus
            except NoMatches:  # not composed yet
                return True
        return True

    def action_attach(self) -> None:
        path_input = self.query_one("#compose-attach-path", Input)
        path_input.display = True
        path_input.focus()

    @on(Input.Submitted, "#compose-attach-path")
    def _attach_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        if event.value.strip():
            self.read_attachment(event.value.strip())
        event.input.value = ""
        self.query_one("#compose-body").focus()

    @work(thread=True, group="attach", exit_on_error=False)
    def read_attachment(self, text: str) -> None:
        from core.mailroom import read_input

        path = Path(text).expanduser()
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # a regular file of at most 25 MB: a folder, a missing file, a FIFO or /dev/zero is one line, never a
        # hang nor gigabytes held (core.inputfile)
        try:
            content = read_input(path, "attachment")
        except MissiveError:
            self.app.call_from_thread(self._attach_again, text)  # the path back, to correct it, not retype it
            raise  # said in a toast (ReportsFailures)
        attachment = Attachment(path.name, ctype, content)
        self.app.call_from_thread(self._add_attachment, attachment)

    def _attach_again(self, text: str) -> None:
        path_input = self.query_one("#compose-attach-path", Input)
        path_input.value = text
        path_input.cursor_position = len(text)
        path_input.display = True
        path_input.focus()

    def _add_attachment(self, attachment: Attachment) -> None:
        self.attachments.append(attachment)
        self._paint_attachments()
        self._schedule_draft()

    def _paint_attachments(self) -> None:
        widget = self.query_one("#compose-attachments", Static)
        widget.display = bool(self.attachments)
        # a forwarded letter's attachments are named by their sender: no terminal command in their names
        widget.update(Content(printable(" ".join(f"+ {a.filename}" for a in self.attachments), one_line=True)))

    # -- sending ------------------------------------------------------------------------------------------
    def action_send(self) -> None:
        if self.draft_id in self.sending:  # this letter is leaving: a second ctrl+s would send it twice
            self.notify(t("compose.sending_already"), severity="warning")
            return
        draft = self.draft()
        if not draft.to:
            self.notify(t("compose.need_recipient"), severity="warning")
            self.query_one("#compose-to").focus()
            return
        decision = self.protection
        if decision is not None and self.protected_for == (*draft.to, *draft.cc) and not decision.can_send:
            # what the screen says already; the core checks again when it sends
            self.notify(_why_not(decision), severity="error", timeout=10)
            return
        kinds = {w.kind for a, w in self.who.items() if a in (*draft.to, *draft.cc)}
        if kinds == {"patient", "colleague"}:  # the core refuses it unless the doctor confirms
            from tui.panes.confirm import ConfirmScreen

            draft_id = self.draft_id

            def answered(yes: bool | None) -> None:
                if yes and draft_id == self.draft_id and draft_id not in self.sending:
                    self._start_sending(draft_id, replace(draft, confirm_mixed=True))

            self.app.push_screen(ConfirmScreen(t("confirm.mixed_patient"), deliberate=True), answered)
            return
        self._start_sending(self.draft_id, draft)

    def _start_sending(self, draft_id: str, draft: Draft) -> None:
        """The letter goes: said at once (the server may take a while to answer), and kept from a second send."""
        self.sending.add(draft_id)
        self._paint_sending()
        self.notify(t("compose.sending"))
        self.send(draft_id, draft)

    def action_toggle_end(self) -> None:
        """ctrl+t: end the conversation (X-MSS-MES: FIN): the patient cannot reply to this letter."""
        self.end_conversation = not self.end_conversation
        self._paint_recipients()
        self._schedule_draft()  # part of the letter: kept with it, even when Échap comes next
        self.notify(
            t("compose.end_conversation_on" if self.end_conversation else "compose.end_conversation_off")
        )

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def send(self, draft_id: str, draft: Draft) -> None:
        mailroom = mailroom_of(self)
        sends = missive_app(self).sends
        sends.started()
        try:
            self._send(mailroom, draft_id, draft)
        finally:
            sends.ended()
            self.post_message(SendEnded(draft_id))

    def _send(self, mailroom: MailroomAPI, draft_id: str, draft: Draft) -> None:
        mailroom.save_draft(draft, draft_id)  # kept until the outbox has it; the façade deletes it then
        try:
            asyncio.run(mailroom.send(draft, draft_id))
        except KeptInOutbox as exc:
            # the server did not take it: the outbox holds it (the core said why, SendFailed) and its draft is
            # gone. Queued, it leaves by itself: a fresh letter here, or a second ctrl+s queued a second copy.
            # Refused for good, the letter stays here to be corrected: the core put it back in its draft and
            # took it out of the outbox (no flush sends that copy besides the corrected one).
            if not exc.permanent:
                self.post_message(LetterSent(len(draft.to) + len(draft.cc), queued=True, draft_id=draft_id))
                self.post_message(DraftsChanged())
            return
        self.post_message(LetterSent(len(draft.to) + len(draft.cc), draft_id=draft_id))
        self.post_message(DraftsChanged())  # its draft is gone from Brouillons

    def on_send_ended(self, message: SendEnded) -> None:
        self.sending.discard(message.draft_id)
        self._paint_sending()  # refused for good, the letter stays here to be corrected: its fields take keys again

    def _paint_sending(self) -> None:
        """While the letter on screen is leaving its fields take no keys: what was typed after ctrl+s was neither
        sent nor kept (the fresh letter that follows the send cleared it), and nothing said so (sec9)."""
        leaving = self.draft_id in self.sending
        fields = [f for f in self.query(Input) if f.id != "compose-attach-path"]
        body = self.query_one("#compose-body", TextArea)
        had_focus = any(f.has_focus for f in fields)
        for field in fields:
            field.disabled = leaving
        body.read_only = leaving
        if leaving and had_focus:
            body.focus()  # the focus stays in the letter (read only), not on a widget of another pane

    def on_letter_sent(self, message: LetterSent) -> None:
        """The letter left: a fresh one waits here, and Réception is shown (as Échap does), unless the doctor
        went elsewhere meanwhile. Left here, the keys meant for the list ('1', j…) were typed into À."""
        if not message.queued:  # else the core's line (SendFailed) says where it is and why
            self.notify(t("compose.sent", count=message.recipients))
        if message.draft_id is not None and message.draft_id != self.draft_id:
            return  # another letter begun while that one was leaving: it stays as it is, and where the focus is
        shown = self.display and self.is_on_screen
        # the focus goes to the fresh letter's first field only on screen: the composer hidden (the doctor went
        # to Réception meanwhile), the keys typed for the list went into its hidden À field
        self.start(focus=shown)
        self.protection, self.protected_for = None, ()
        self._paint_recipients()
        app = missive_app(self)
        app.refresh_counts()
        if shown:
            app.action_show_pane("inbox")

    def has_unsent(self) -> bool:
        """Whether anything typed would be lost with this letter (a recipient, a subject, a body, a file). A
        reply, forward or letter from Annuaire left as it was filled holds nothing typed: r again makes it."""
        if self.draft_id in self.sending:  # in the outbox's hands: nothing here is lost (no question to quit)
            return False
        draft = self.draft()
        started = self._as_started  # (the From account aside: it is settled once the accounts are read)
        if started is not None and replace(draft, account=None) == replace(started, account=None):
            return False
        return bool(draft.to or draft.cc or draft.subject or draft.body.strip() or draft.attachments)

    def keep_draft_now(self) -> None:
        """Save the draft at once (encrypted), not after the typing pause."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._save_draft()

    def keep_draft_at_once(self) -> None:
        """Save the draft in this thread, before returning: the app is about to end (its terminal is gone), no
        worker would outlive it."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if self.has_unsent():
            self._kept_id = self.draft_id
            mailroom_of(self).save_draft(self.draft(), self.draft_id)

    def action_discard(self) -> None:
        """F8: throw the letter away, after a question when there is anything to lose."""
        if not self.has_unsent():
            self.notify(t("compose.nothing_to_discard"))  # F8 (or Abandonner in the palette) did nothing, silently
            return
        from tui.panes.confirm import ConfirmScreen

        draft_id = self.draft_id

        def answered(yes: bool | None) -> None:
            if yes and draft_id == self.draft_id:
                if self._draft_timer is not None:
                    self._draft_timer.stop()
                self.discard(draft_id)
                self.start()
                self.notify(t("compose.discarded"))

        # deleted for good, no undo: only the letter o says yes (an Entrée typed in the letter after a stray F8
        # must not throw it away)
        self.app.push_screen(ConfirmScreen(t("confirm.discard"), deliberate=True), answered)

    @work(thread=True, group="draft", exit_on_error=False)
    def discard(self, draft_id: str) -> None:
        mailroom_of(self).delete_draft(draft_id)
        self.post_message(DraftsChanged())
