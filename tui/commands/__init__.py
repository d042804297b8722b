"""Subcommands of the ``missive`` CLI, one module per domain, imported only when their command runs.

Each module defines ``register(sub, common)`` which adds its parsers to ``sub`` (an argparse
subparsers object, ``common`` being a parent parser it may pass as ``parents=[common]``) and sets
``func=handler`` on each; a handler is ``handler(args, ctx) -> int`` where ``ctx`` is a
``tui.cli.Context``. Handlers contain no business logic: they call core and print.

``COMMANDS`` maps each top-level command to the module that registers it and the one-line help that
``missive --help`` prints without importing any module (a test holds it equal to the module's own help).
A new command is one line here plus its ``register``.
"""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "tui": ("tui.commands.profile", "ouvrir l'interface (défaut quand aucune commande n'est donnée)"),
    "demo": ("tui.commands.profile", "construire (une fois) un profil de démonstration et l'ouvrir"),
    "init": (
        "tui.commands.profile",
        "créer un profil chiffré (phrase de passe demandée ou MISSIVE_PASSPHRASE)",
    ),
    "passphrase": ("tui.commands.profile", "changer la phrase de passe du profil"),
    "audit": ("tui.commands.profile", "journal d'audit"),
    "config": ("tui.commands.profile", "réglages du profil"),
    "account": ("tui.commands.mail", "comptes de messagerie (MSSanté IMAP/SMTP ou Maildir local)"),
    "sync": ("tui.commands.mail", "synchroniser les dossiers (IMAP ou Maildir)"),
    "messages": ("tui.commands.mail", "messages reçus"),
    "send": ("tui.commands.send", "envoyer un message (texte depuis --body-file ou l'entrée standard)"),
    "outbox": ("tui.commands.send", "boîte d'envoi (messages en attente)"),
    "daemon": ("tui.commands.send", "relever en continu (IDLE), envoyer la boîte d'envoi, classer, notifier"),
    "parse": (
        "tui.commands.clinical",
        "lire des comptes rendus (HPRIM, HL7, CDA, XDM, PDF) et afficher identité et résultats",
    ),
    "patients": ("tui.commands.patients", "patients du cabinet : import CSV, liste"),
    "match": (
        "tui.commands.patients",
        "lire des comptes rendus et trouver le patient de chacun (auto, à vérifier, nouveau)",
    ),
    "file": (
        "tui.commands.filing",
        "classer un document en attente dans le dossier d'import du logiciel métier",
    ),
    "documents": ("tui.commands.filing", "documents reçus : liste, annuler un classement"),
    "filing": ("tui.commands.filing", "classement : préréglages des logiciels métier"),
    "smime": ("tui.commands.secure", "signer, chiffrer, déchiffrer, vérifier un message MIME (S/MIME)"),
    "keys": ("tui.commands.secure", "clés et certificats S/MIME"),
    "trust": ("tui.commands.secure", "espace de confiance MSSanté"),
    "directory": ("tui.commands.directory", "annuaire des professionnels de santé (RPPS, MSSanté)"),
}

MODULES = list(dict.fromkeys(module for module, _ in COMMANDS.values()))
