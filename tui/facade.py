"""How a widget reaches the open profile's façade (typed: the app's contract, ``MailroomAPI``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import Locked

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from core.mailroom import MailroomAPI
    from tui.app import MissiveApp


def missive_app(node: DOMNode) -> MissiveApp:
    from tui.app import MissiveApp

    app = node.app
    if not isinstance(app, MissiveApp):
        raise TypeError("missive's widgets run inside MissiveApp")
    return app


def mailroom_of(node: DOMNode) -> MailroomAPI:
    """The façade of the open profile; panes exist only once one is open."""
    mailroom = missive_app(node).mailroom
    if mailroom is None:
        raise Locked("aucun profil ouvert : saisissez la phrase de passe")
    return mailroom
