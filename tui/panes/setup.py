"""Assistant de configuration: first start (no profile yet) and later from the command palette.

Steps, each skippable with Échap and redone later (every value is also a setting or a CLI command):
passphrase (first start only: twice, strength shown; creates the profile) → mail account (address →
autoconfiguration → PSC / password / certificate → real login, then saved) → S/MIME identity (.p12) →
practice software (preset + import folder, a test file written and removed) → patients CSV (first lines and the
guessed column mapping shown) → phone notifications (a test push). Nothing is saved before its step's check
passed. Keyboard only; fits 80x24. All decisions and words about the data come from core (``core.setup``,
the façade); this module arranges them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Input, Label, RadioButton, RadioSet, Select, Static

from core.errors import MissiveError
from tui.i18n import t
from tui.widgets.footer import KeyFooter

STEPS = ("passphrase", "account", "smime", "filing", "patients", "notify")


class _Field(Input):
    """An input whose Enter moves to the next field. The screen does it in a priority binding, while the app
    reads that key: keys typed right after Enter (or pasted) then go to the next field, not the one left."""


class SetupScreen(Screen[Any]):
    """Dismissed with the open mailroom (or None when the first start was abandoned)."""

    DEFAULT_CSS = """
    SetupScreen #setup-title { height: 1; background: $primary; color: $text; padding: 0 1; }
    SetupScreen #setup-steps { height: 1fr; padding: 0 1; }
    SetupScreen #setup-steps > * { height: auto; max-height: 100%; }
    SetupScreen Input, SetupScreen Select { width: 100%; margin: 0 0 1 0; }
    SetupScreen Label { margin: 0 0 1 0; }
    SetupScreen RadioSet { height: auto; width: 100%; }
    SetupScreen #setup-message { height: auto; max-height: 4; padding: 0 1; color: $success; }
    SetupScreen #setup-message.-error { color: $error; }
    SetupScreen #account-report, SetupScreen #patients-preview { height: auto; color: $text-muted; }
    """

    BINDINGS = [
        ("escape", "skip", t("setup.skip")),
        ("ctrl+q", "quit_setup", t("setup.quit")),
        Binding("enter", "advance", show=False, priority=True),
    ]

    def __init__(self, profile_dir: Path | None = None, mailroom: Any = None) -> None:
        super().__init__()
        self.profile_dir = profile_dir
        self.mailroom = mailroom
        self.steps = STEPS if mailroom is None else STEPS[1:]
        self.index = 0
        self.found: Any = None  # the autoconfiguration result
        self.preview: Any = None  # the patients CSV preview
        self.busy = False

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static("", id="setup-title")
        with ContentSwitcher(initial=self.steps[0], id="setup-steps"):
            with Vertical(id="passphrase"):
                yield Label(t("setup.passphrase.help"))
                yield _Field(compact=True, password=True, id="pass1", placeholder=t("setup.passphrase.first"))
                yield Input(compact=True, password=True, id="pass2", placeholder=t("setup.passphrase.second"))
                yield Static("", id="strength")
            with VerticalScroll(id="account"):
                yield Label(t("setup.account.help"))
                yield Input(compact=True, id="email", placeholder="dr.nom@cabinet.mssante.fr")
                yield Static("", id="account-report", markup=False)  # the server's names and answers: text
                with RadioSet(id="auth", compact=True):
                    yield RadioButton(t("setup.auth.psc"), value=True, id="auth-psc")
                    yield RadioButton(t("setup.auth.password"), id="auth-password")
                    yield RadioButton(t("setup.auth.certificate"), id="auth-certificate")
                yield _Field(compact=True, id="psc-id", placeholder=t("setup.account.psc_id"))
                yield Input(
                    compact=True,
                    id="account-password",
                    password=True,
                    placeholder=t("setup.account.password"),
                )
                yield _Field(compact=True, id="account-p12", placeholder=t("setup.account.p12"))
                yield Input(
                    compact=True,
                    id="account-p12-password",
                    password=True,
                    placeholder=t("setup.account.p12_password"),
                )
            with Vertical(id="smime"):
                yield Label(t("setup.smime.help"))
                yield _Field(compact=True, id="smime-p12", placeholder=t("setup.smime.file"))
                yield Input(
                    compact=True, id="smime-password", password=True, placeholder=t("setup.smime.password")
                )
            with Vertical(id="filing"):
                yield Label(t("setup.filing.help"))
                yield Select(compact=True, options=self._presets(), id="preset", allow_blank=False)
                yield Input(compact=True, id="filing-folder", placeholder=t("setup.filing.folder"))
            with VerticalScroll(id="patients"):
                yield Label(t("setup.patients.help"))
                yield Input(compact=True, id="patients-file", placeholder=t("setup.patients.file"))
                yield Static("", id="patients-preview", markup=False)  # the file's rows: text
                yield Input(compact=True, id="patients-map", placeholder="NOM=birth_name,PRENOM=given_names")
            with Vertical(id="notify"):
                yield Label(t("setup.notify.help"))
                yield Select(
                    compact=True,
                    options=[("ntfy", "ntfy"), ("webhook", "webhook")],
                    id="notify-kind",
                    allow_blank=False,
                )
                yield Input(compact=True, id="notify-url", placeholder="https://ntfy.sh/mon-sujet-secret")
        yield Static("", id="setup-message", markup=False)  # the core's words, which may quote a server
        yield KeyFooter()

    @staticmethod
    def _presets() -> list[tuple[str, str]]:
        from core.mailroom import filing_presets

        return [(t("presets.generic") if p.key == "generic" else p.name, p.key) for p in filing_presets()]

    def on_mount(self) -> None:
        self._show()
        self._auth_fields()

    def _show(self) -> None:
        step = self.steps[self.index]
        self.query_one(ContentSwitcher).current = step
        number = self.index + 1
        self.query_one("#setup-title", Static).update(
            t("setup.title", number=number, total=len(self.steps), step=t(f"setup.step.{step}"))
        )
        first = {
            "passphrase": "#pass1",
            "account": "#email",
            "smime": "#smime-p12",
            "filing": "#preset",
            "patients": "#patients-file",
            "notify": "#notify-kind",
        }[step]
        self.query_one(first).focus()

    def say(self, text: str, error: bool = False) -> None:
        box = self.query_one("#setup-message", Static)
        box.update(text)
        box.set_class(error, "-error")

    def _next(self, message: str = "") -> None:
        self.busy = False
        if self.index + 1 >= len(self.steps):
            self.dismiss(self.mailroom)
            return
        self.index += 1
        self._show()
        self.say(message)

    # ------------------------------------------------------------------ keys
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "advance":  # only from a field that leads to another; elsewhere Enter is the widget's
            return isinstance(self.focused, _Field)
        return True

    def action_advance(self) -> None:
        self.focus_next()

    def action_skip(self) -> None:
        if self.busy:
            return
        if self.steps[self.index] == "passphrase":
            self.say(t("setup.passphrase.needed"), error=True)
            return
        self._next(t("setup.skipped"))

    def action_quit_setup(self) -> None:
        self.dismiss(self.mailroom)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.say(" ".join(str(exc).split()) or type(exc).__name__, error=True)

    # ------------------------------------------------------------------ 1. passphrase
    @on(Input.Changed, "#pass1")
    def _strength(self, event: Input.Changed) -> None:
        from core.mailroom import passphrase_strength

        _, label = passphrase_strength(event.value)
        self.query_one("#strength", Static).update(t("setup.passphrase.strength", label=label))

    @on(Input.Submitted, "#pass2")
    def _pass2(self) -> None:
        from core.mailroom import check_passphrase

        first = self.query_one("#pass1", Input).value
        second = self.query_one("#pass2", Input).value
        try:
            check_passphrase(first, second)
        except MissiveError as exc:
            self._failed(exc)
            self.query_one("#pass2", Input).value = ""
            return
        self.busy = True
        self.say(t("setup.passphrase.creating"))
        self._create(first)

    @work(thread=True, exclusive=True, group="setup", exit_on_error=False)
    def _create(self, passphrase: str) -> None:
        from core.mailroom import Mailroom

        try:
            if self.profile_dir is None:  # the assistant opened on an existing profile creates none
                raise MissiveError(t("app.no_profile_dir"))
            mailroom = Mailroom.create(self.profile_dir, passphrase)
        except MissiveError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._created, mailroom)

    def _created(self, mailroom: Any) -> None:
        self.mailroom = mailroom
        for box in ("#pass1", "#pass2"):
            self.query_one(box, Input).value = ""
        self._next(t("setup.passphrase.done"))

    # ------------------------------------------------------------------ 2. account
    @on(Input.Submitted, "#email")
    def _email(self, event: Input.Submitted) -> None:
        if not event.value.strip() or self.busy:
            return
        self.busy = True
        self.say(t("setup.account.searching"))
        self._autoconfigure(event.value.strip())

    @work(exclusive=True, group="setup", exit_on_error=False)
    async def _autoconfigure(self, email: str) -> None:
        try:
            found = await self.mailroom.autoconfigure(email)
        except MissiveError as exc:
            self._failed(exc)
            return
        self.busy = False
        self.found = found
        report = "\n".join(found.report()[-4:])
        self.query_one("#account-report", Static).update(report)
        if not found.complete:  # the core's line names command-line flags: here, what to do from this screen
            self.busy = False
            # a domain that does not exist: the core says so (a typo, most likely), the address can be fixed here
            line = found.problem() or t("setup.account.not_found", domain=email.rpartition("@")[2], email=email)
            self.say(line, error=True)
            return
        defaults = self.mailroom.psc_defaults()
        psc = found.bearer_only() or (found.bearer_offered() and bool(defaults["issuer"]))
        p12 = self.query_one("#account-p12", Input)
        if psc and defaults["client_cert"] and not p12.value:
            p12.value = defaults["client_cert"]  # the deployment's software certificate for PSC
        self.query_one("#auth-psc" if psc else "#auth-password", RadioButton).value = True
        self._auth_fields()
        self.say(t("setup.account.found"))
        # Straight to the first field of the login chosen; shift+tab reaches the choice to change it.
        self.query_one("#psc-id" if psc else "#account-password").focus()

    def _auth(self) -> str:
        pressed = self.query_one("#auth", RadioSet).pressed_button
        return (pressed.id or "auth-psc").removeprefix("auth-") if pressed is not None else "psc"

    @on(RadioSet.Changed, "#auth")
    def _auth_changed(self) -> None:
        self._auth_fields()

    def _auth_fields(self) -> None:
        auth = self._auth()
        self.query_one("#psc-id").display = auth == "psc"
        self.query_one("#account-password").display = auth == "password"
        self.query_one("#account-p12").display = auth in ("psc", "certificate")
        self.query_one("#account-p12-password").display = auth in ("psc", "certificate")

    @on(Input.Submitted, "#account-password")
    @on(Input.Submitted, "#account-p12-password")
    def _account_submit(self) -> None:
        if self.busy:
            return
        if self.found is None or not self.found.complete:
            self.say(t("setup.account.address_first"), error=True)
            self.query_one("#email").focus()
            return
        try:
            account = self._account()
        except MissiveError as exc:
            self._failed(exc)
            return
        self.busy = True
        self.say(t("setup.account.testing"))
        self._add_account(account)

    def _account(self) -> Any:
        import base64

        from core.mailroom import new_account

        found = self.found
        email = self.query_one("#email", Input).value.strip()
        auth = self._auth()
        fields: dict[str, Any] = dict(
            name=email.split("@")[0].replace("+", "-")[:40] or "cabinet",
            email=email,
            imap_host=found.imap.candidate.host,
            imap_port=found.imap.candidate.port,
            imap_security=found.imap.candidate.security,
            smtp_host=found.smtp.candidate.host,
            smtp_port=found.smtp.candidate.port,
            smtp_security=found.smtp.candidate.security,
            user=email,
            auth=auth,
        )
        p12_path = self.query_one("#account-p12", Input).value.strip()
        p12_password = self.query_one("#account-p12-password", Input).value
        p12 = ""
        if p12_path:
            from core.mailroom import read_input  # a huge file or a FIFO: one line, never a hang

            p12 = base64.b64encode(read_input(Path(p12_path).expanduser(), "keys")).decode()
        if auth == "psc":
            defaults = self.mailroom.psc_defaults()
            import os

            fields.update(
                psc_issuer=defaults["issuer"],
                psc_client_id=defaults["client_id"],
                psc_ca_file=defaults["ca_file"] or None,
                psc_login_hint=self.query_one("#psc-id", Input).value.strip().replace(" ", ""),
                psc_client_p12=p12 or None,
                psc_client_p12_password=p12_password,
                psc_client_secret="" if p12 else os.environ.get("MISSIVE_PSC_CLIENT_SECRET", ""),
            )
            if len(fields["psc_login_hint"]) == 11:
                fields["psc_login_hint"] = (
                    "8" + fields["psc_login_hint"]
                )  # an RPPS: the national id is 8 + RPPS
        elif auth == "password":
            fields["password"] = self.query_one("#account-password", Input).value
        else:
            fields.update(client_cert_p12=p12 or None, client_cert_password=p12_password, user="")
        return new_account(**fields)

    @work(exclusive=True, group="setup", exit_on_error=False)
    async def _add_account(self, account: Any) -> None:
        import asyncio

        try:
            lines = await self.mailroom.add_account_checked(account, show=self.say)
        except MissiveError as exc:
            self._failed(exc)
            return
        done = t("setup.account.done", name=account.name, detail=lines[0])
        if not self.mailroom.has_whitelist():
            # Without the MSSanté whitelist every letter would wait in Quarantaine: fetch it before the first
            # sync (same as `missive trust update`); a failure only delays it to the daemon's daily refresh.
            self.say(t("setup.account.whitelist"))
            try:
                result = await asyncio.to_thread(self.mailroom.update_whitelist)
                done += " " + result.message[:1].upper() + result.message[1:] + "."
            except MissiveError as exc:
                done += " " + t("setup.account.whitelist_failed", reason=" ".join(str(exc).split()))
        self._next(done)

    # ------------------------------------------------------------------ 3. S/MIME
    @on(Input.Submitted, "#smime-password")
    def _smime(self) -> None:
        path = self.query_one("#smime-p12", Input).value.strip()
        password = self.query_one("#smime-password", Input).value
        try:
            info = self.mailroom.import_identity(path, password)
        except MissiveError as exc:
            self._failed(exc)
            return
        self.query_one("#smime-password", Input).value = ""
        who = ", ".join(info.get("emails") or []) or info.get("subject", "")
        self._next(t("setup.smime.done", who=who))

    # ------------------------------------------------------------------ 4. practice software
    @on(Input.Submitted, "#filing-folder")
    def _filing(self, event: Input.Submitted) -> None:
        from core.mailroom import check_import_folder

        preset = str(self.query_one("#preset", Select).value)
        try:
            line = check_import_folder(event.value)
            folder = str(Path(event.value).expanduser().resolve())
            self.mailroom.save_settings({"filing": {"preset": preset, "folder": folder}})
        except MissiveError as exc:
            self._failed(exc)
            return
        self._next(line)

    # ------------------------------------------------------------------ 5. patients
    @on(Input.Submitted, "#patients-file")
    def _patients_file(self, event: Input.Submitted) -> None:
        from core.mailroom import preview_patients

        try:
            preview = preview_patients(event.value)
        except MissiveError as exc:
            self._failed(exc)
            return
        self.preview = preview
        lines = [" | ".join(preview.header)] + [" | ".join(row) for row in preview.rows]
        mapping = ", ".join(f"{src} → {dst}" for src, dst in preview.mapping.items())
        lines.append(t("setup.patients.mapping", mapping=mapping or "-"))
        if preview.missing:
            lines.append(t("setup.patients.missing", columns=", ".join(preview.missing)))
        self.query_one("#patients-preview", Static).update("\n".join(lines))
        self.query_one("#patients-map", Input).value = ",".join(
            f"{s}={d}" for s, d in preview.mapping.items()
        )
        self.query_one("#patients-map").focus()

    @on(Input.Submitted, "#patients-map")
    def _patients(self, event: Input.Submitted) -> None:
        from core.mailroom import parse_column_mapping

        path = self.query_one("#patients-file", Input).value.strip()
        try:
            mapping = parse_column_mapping([p for p in event.value.split(",") if p.strip()])
            report = self.mailroom.import_patients(Path(path).expanduser(), mapping)
        except MissiveError as exc:
            self._failed(exc)
            return
        said = report.warnings()  # one person under two ids: the first pairs, the rest through the CLI
        more = [t("setup.patients.same-person-more", count=len(said) - 3)] if len(said) > 3 else []
        self._next("\n".join([t("setup.patients.done", count=report.total), *said[:3], *more]))

    # ------------------------------------------------------------------ 6. notifications
    @on(Input.Submitted, "#notify-url")
    def _notify(self, event: Input.Submitted) -> None:
        if self.busy:
            return
        self.busy = True
        self.say(t("setup.notify.sending"))
        self._test_push(str(self.query_one("#notify-kind", Select).value), event.value.strip())

    @work(thread=True, exclusive=True, group="setup", exit_on_error=False)
    def _test_push(self, kind: str, url: str) -> None:
        from core.mailroom import send_test_notification

        try:
            line = send_test_notification(kind, url)
            self.mailroom.save_settings({"notifications": {"kind": kind, "url": url}})
        except MissiveError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._next, line)
