"""What missive's child processes (XOAUTH2 token command, attachment viewer) inherit from its environment.

missive's own variables (``MISSIVE_PASSPHRASE`` and the other secrets given on the command line) are
meant for missive alone: a token script or a PDF viewer never sees them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

SECRETS = (
    "MISSIVE_PASSPHRASE",
    "MISSIVE_NEW_PASSPHRASE",
    "MISSIVE_ACCOUNT_PASSWORD",
    "MISSIVE_CLIENT_CERT_PASSWORD",
    "MISSIVE_P12_PASSWORD",
)


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment without any ``MISSIVE_*`` variable, for a process missive starts."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not k.upper().startswith("MISSIVE_")}


def take_secrets(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Remove the secrets missive reads from the environment and return them (read once, then gone)."""
    source = os.environ if environ is None else environ
    return {name: source.pop(name) for name in SECRETS if name in source}
