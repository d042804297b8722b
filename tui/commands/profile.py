"""Profile commands: init, passphrase change, audit verify, settings check, demo."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from core.errors import BadInput
from tui.i18n import t

if TYPE_CHECKING:
    import argparse
    from pathlib import Path


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init", help="créer un profil chiffré (phrase de passe demandée ou MISSIVE_PASSPHRASE)"
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("passphrase", help="changer la phrase de passe du profil")
    psub = p.add_subparsers(dest="passphrase_command", metavar="ACTION")
    q = psub.add_parser("change", help="re-chiffrer la clé du profil sous une nouvelle phrase de passe")
    q.set_defaults(func=cmd_passphrase_change)

    p = sub.add_parser("audit", help="journal d'audit")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    q = asub.add_parser("verify", help="vérifier que le journal d'audit est intact (code 0) ou non (code 1)")
    q.set_defaults(func=cmd_audit_verify)
    q = asub.add_parser("list", help="afficher le journal d'audit (identifiants seulement)")
    q.add_argument("--json", action="store_true", help="une ligne JSON par enregistrement")
    q.add_argument(
        "--kept",
        metavar="FICHIER",
        help="un journal conservé par « audit reseal » (audit/broken-….log), lu jusqu'à sa rupture",
    )
    q.set_defaults(func=cmd_audit_list)
    q = asub.add_parser(
        "reseal",
        help="reprendre après une rupture du journal d'audit : l'ancien journal est conservé tel quel, un "
        "nouveau commence par l'enregistrement de la rupture",
    )
    q.add_argument("--yes", "--oui", dest="yes", action="store_true", help="confirmer sans question (scripts)")
    q.set_defaults(func=cmd_audit_reseal)

    p = sub.add_parser("config", help="réglages du profil")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    q = csub.add_parser("check", help="valider profile.toml")
    q.set_defaults(func=cmd_config_check)
    q = csub.add_parser("path", help="afficher le dossier du profil")
    q.set_defaults(func=cmd_config_path)

    p = sub.add_parser("demo", help="construire (une fois) un profil de démonstration et l'ouvrir")
    p.add_argument("--no-tui", action="store_true", help="construire seulement, sans ouvrir l'interface")
    p.add_argument("--reset", action="store_true", help="reconstruire le profil de démonstration")
    p.add_argument("--patients", type=int, default=3000, help="nombre de patients fictifs (défaut 3000)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("tui", help="ouvrir l'interface (défaut quand aucune commande n'est donnée)")
    p.set_defaults(func=cmd_tui)


def cmd_init(args: argparse.Namespace, ctx: Any) -> int:
    from core.mailroom import Mailroom, profile_exists

    folder = ctx.profile_dir
    if profile_exists(folder):
        raise BadInput(t("cli.init.exists", folder=folder))
    passphrase = ctx.passphrase(t("cli.passphrase.new"), confirm=True)
    Mailroom.create(folder, passphrase)
    print(t("cli.init.created", folder=folder))
    return 0


def cmd_passphrase_change(args: argparse.Namespace, ctx: Any) -> int:

    mr = ctx.mailroom()
    new = ctx.env("MISSIVE_NEW_PASSPHRASE")
    if new is None:
        new = ctx.secret("MISSIVE_NEW_PASSPHRASE", t("cli.passphrase.new"))
        import getpass

        if sys.stdin.isatty() and getpass.getpass(t("cli.passphrase.confirm")) != new:
            raise BadInput(t("cli.passphrase.differ_unchanged"))
    mr.change_passphrase(new)
    print(t("cli.passphrase.changed"))
    return 0


def _french_date(ts: str) -> str:
    return "/".join(reversed(ts[:10].split("-")))


def cmd_audit_verify(args: argparse.Namespace, ctx: Any) -> int:
    mr = ctx.mailroom()
    problem = mr.audit_problem()
    if problem is None:
        count = len(mr.audit_records())
        seal = mr.audit_seal()
        breaks = mr.audit_breaks()
        if breaks:  # a new chain since the last acknowledged break: each said, the kept logs checked
            print(t("cli.audit.intact_resealed", count=count, date=_french_date(breaks[0]["ts"]), breaks=len(breaks)))
            for found in breaks:
                if not found["file"]:
                    where = t("cli.audit.break_nothing_kept")
                elif not found["intact"]:  # gone since, and acknowledged by a later reseal
                    where = t("cli.audit.break_kept_gone", file=found["file"])
                else:
                    where = t("cli.audit.break_kept", file=found["file"], readable=found["readable"])
                what = (
                    t("cli.audit.break_at", record=found["record"], reason=found["reason"])
                    if found["record"]
                    else found["reason"]
                )
                print(t("cli.audit.break", date=_french_date(found["ts"]), actor=found["actor"], what=what, where=where))
        elif seal is None:
            print(t("cli.audit.intact_unsealed", count=count))
        elif seal["since"] <= 1:
            print(t("cli.audit.intact_sealed", count=count))
        else:
            since = "/".join(reversed(seal["since_ts"][:10].split("-")))
            print(t("cli.audit.intact_sealed_since", count=count, date=since, record=seal["since"]))
        return 0
    sys.stderr.write(f"missive : {_problem_line(problem)}\n")
    return 1


def _problem_line(problem: Any) -> str:
    if problem.index == 0:  # not a record: a log kept by a reseal, deleted or changed since
        return str(problem.reason)
    return t("cli.audit.altered", index=problem.index, reason=problem.reason)


def cmd_audit_list(args: argparse.Namespace, ctx: Any) -> int:
    """The records up to the first problem (a broken log is listed as far as it reads), then that problem."""
    records, problem = ctx.mailroom().audit_readable(args.kept)
    for rec in records:
        if args.json:
            ctx.print_json(rec)
        else:
            who = f"{rec['actor']} ({rec['via']})" if rec.get("via") else rec["actor"]  # the person, and through what
            line = f"{rec['seq']:>6} {rec['ts']} {who:<12} {rec['action']:<8} {rec['object']}"
            if (rec["action"], rec["object"]) == ("audit", "break"):  # the record a reseal starts with
                details = rec.get("details") or {}
                kept = (details.get("kept") or {}).get("file") or "-"
                line += " " + t("cli.audit.list_break", record=(details.get("found") or {}).get("record"), file=kept)
            print(line)
    if problem is None:
        return 0
    if args.kept:  # a kept log is broken by definition: where it stops is what the listing says last
        print(t("cli.audit.kept_stops", index=problem.index, reason=problem.reason))
        return 0
    sys.stderr.write(f"missive : {_problem_line(problem)}\n")
    return 1


def cmd_audit_reseal(args: argparse.Namespace, ctx: Any) -> int:
    mr = ctx.mailroom()  # under the passphrase: without it, nothing is read nor changed
    problem = mr.audit_problem()
    if problem is None:
        raise BadInput(t("cli.audit.reseal_intact"))
    question = t("cli.audit.reseal_question", problem=_problem_line(problem))
    if not args.yes:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise BadInput(t("cli.audit.reseal_confirm", question=question))
        print(question)
        try:
            answer = input(t("cli.audit.reseal_prompt"))
        except EOFError:  # Ctrl+D: no answer is no
            answer = ""
        if answer.strip().lower() not in ("oui", "yes"):
            print(t("cli.audit.reseal_cancelled"))
            return 1
    details = mr.audit_reseal()
    kept = details.get("kept")
    if kept:
        print(t("cli.audit.resealed", file=kept["file"], readable=details["found"]["records_read"]))
    else:
        print(t("cli.audit.resealed_nothing"))
    return 0


def cmd_config_check(args: argparse.Namespace, ctx: Any) -> int:
    from core.config import load_settings, missing_profile_message
    from core.errors import NotFound
    from core.mailroom import profile_exists

    if not profile_exists(ctx.profile_dir):
        raise NotFound(missing_profile_message(ctx.profile_dir))
    settings = load_settings(ctx.profile_dir)
    _check_theme(ctx.profile_dir, settings.theme)
    print(t("cli.config.ok"))
    return 0


def _check_theme(profile_dir: Path, name: str) -> None:
    """The theme named in profile.toml exists (missive's, Textual's or a file of <profile>/themes/) and the
    profile's theme files read: the app fell back to the dark theme with a toast while 'config check' said OK."""
    from textual.theme import BUILTIN_THEMES

    from core.errors import ConfigError
    from tui.app import discover_themes

    themes, problems = discover_themes(profile_dir)
    if problems:
        raise ConfigError(problems[0])
    own = sorted(theme.name for theme in themes)
    if name in own or name in BUILTIN_THEMES:
        return
    path = profile_dir / "profile.toml"
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeError):
        lines = []
    line = next((n for n, text in enumerate(lines, 1) if text.strip().startswith("theme")), 0)
    raise ConfigError(t("cli.config.unknown_theme", line=line, name=name, known=", ".join(own), file=path))


def cmd_config_path(args: argparse.Namespace, ctx: Any) -> int:
    print(ctx.profile_dir)
    return 0


def cmd_demo(args: argparse.Namespace, ctx: Any) -> int:

    from core.config import default_demo_dir
    from core.mailroom import build_demo

    folder = ctx.profile_dir if args.profile else default_demo_dir()
    given = ctx.env("MISSIVE_PASSPHRASE")
    passphrase = given or "demo"
    if args.patients < 10 or args.patients > 200_000:
        raise BadInput(t("cli.demo.patients"))
    report = build_demo(folder, passphrase, reset=args.reset, patients=args.patients, progress=_progress)
    if sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 78 + "\r")  # the progress line gives way to the report
    print(report)
    if given is None:
        print(t("cli.demo.passphrase"))
    if args.no_tui:
        return 0
    from tui.opening import Opening

    opening = Opening(folder, passphrase)  # the key is derived while the app loads, as for `missive tui`
    from tui.app import run_app

    return run_app(folder, lang=args.lang, theme=args.theme, opening=opening)


def cmd_tui(args: argparse.Namespace, ctx: Any) -> int:
    # the profile looked for without the façade (core.config): the unlock screen's first frame comes first
    from core.config import missing_profile_message, profile_exists
    from core.errors import NotFound

    if not profile_exists(ctx.profile_dir) and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NotFound(missing_profile_message(ctx.profile_dir))  # said before the screen is taken
    # like every other command, MISSIVE_PASSPHRASE unlocks without a prompt (scripts, benches); the context
    # has already taken it out of the environment when missive runs as a program
    passphrase = ctx.env("MISSIVE_PASSPHRASE")
    restore = None
    ran = False
    # Ctrl+C while the splash takes the terminal is held until its restore is in hand, then raised: from then on
    # an interruption gives the terminal back as it was (one that came as the splash was drawn left it without
    # echo nor line editing, and the alternate screen up)
    held = _HeldInterrupt()
    try:
        restore = _unlock_splash(ctx.profile_dir, args.lang, checking=passphrase is not None)
        held.release()
        if restore is not None:
            import gc

            # start-up creates tens of thousands of objects that live as long as the app: the collector's
            # passes over them are only time lost; the app turns it on again once started (startup_done)
            gc.disable()
        opening = None
        if passphrase is not None and profile_exists(ctx.profile_dir):
            # the key derivation starts now, in a thread, while the toolkit and the app load (tui.opening)
            from tui.opening import Opening
            from tui.splash import view

            # the inbox's frame of the last start is drawn at once if nothing it shows has changed (tui.splash)
            opening = Opening(ctx.profile_dir, passphrase, frames=True)
            passphrase = None
            opening.for_screen(view(args.theme))  # while the key is derived
        # In a terminal, a first start opens the set-up assistant, which creates the profile.
        from tui.app import run_app

        code = run_app(
            ctx.profile_dir, passphrase=passphrase, lang=args.lang, theme=args.theme, opening=opening
        )
        ran = True
    finally:
        held.release(raising=False)
        if restore is not None:
            restore(ran)
    if not profile_exists(ctx.profile_dir):  # the assistant was left before it created the profile
        sys.stderr.write(f"missive : {missing_profile_message(ctx.profile_dir)}\n")
    return code


class _HeldInterrupt:
    """Ctrl+C (SIGINT) held from now: noted, and raised as KeyboardInterrupt once released (in the main thread;
    elsewhere nothing is held)."""

    def __init__(self) -> None:
        import signal

        self._came = False
        self._previous: Any = None
        self._holding = False
        try:
            self._previous = signal.signal(signal.SIGINT, self._note)
            self._holding = True
        except ValueError:  # not the main thread: the interpreter's own handling stays
            pass

    def _note(self, signum: int, frame: Any) -> None:
        self._came = True

    def release(self, raising: bool = True) -> None:
        if self._holding:
            import signal

            self._holding = False
            signal.signal(signal.SIGINT, signal.default_int_handler if self._previous is None else self._previous)
        if self._came and raising:
            self._came = False
            raise KeyboardInterrupt


def _unlock_splash(profile_dir: Any, lang: str | None, checking: bool) -> Any:
    """The unlock screen's first frame before the toolkit loads (tui.splash), in the profile's language; None
    without a profile (the set-up assistant comes instead) or a terminal."""
    from core.config import load_settings, profile_exists
    from core.errors import MissiveError
    from tui.i18n import set_language
    from tui.splash import show

    if not profile_exists(profile_dir):
        return None
    try:
        set_language(lang or load_settings(profile_dir).language)
    except MissiveError:  # the app says what is wrong with the settings
        return None
    return show(checking)


def _progress(text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{t('cli.demo.building', step=text):<78}")
        sys.stderr.flush()
