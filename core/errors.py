"""One small hierarchy of errors. Messages are meant for a doctor: say what is wrong and what to do.

Never put health data (names, birth dates, results, subjects) in a message: errors may be logged.
"""

from __future__ import annotations


class MissiveError(Exception):
    """Base of every error missive raises on purpose. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class BadInput(MissiveError):
    """The user (or a file they gave) supplied something unusable: exit 2."""

    exit_code = 2


class ConfigError(BadInput):
    """profile.toml or a command-line setting is wrong (the message names the key and line)."""


class NotFound(MissiveError):
    """A message, document, patient, account or key that was asked for does not exist."""


class SecurityError(MissiveError):
    """A cryptographic or policy check failed."""


class WrongPassphrase(SecurityError):
    """The passphrase does not unlock the profile."""


class Locked(SecurityError):
    """The profile is locked (idle timeout) or opened by another process."""


class PolicyRefused(SecurityError):
    """The trust-space policy refuses this correspondent or this message."""


class StoreError(MissiveError):
    """The encrypted store cannot be read or written."""


class StoreCorrupted(StoreError):
    """A store file fails authentication or does not parse; it is left untouched."""


class TransportError(MissiveError):
    """IMAP, SMTP, TLS or a webhook failed."""


class ParseError(BadInput):
    """A clinical document, MIME message, certificate or CSV cannot be read."""
