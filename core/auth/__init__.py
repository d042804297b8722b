"""Logins to mail servers that need more than a password: Pro Santé Connect (OpenID CIBA)."""

from collections.abc import Callable  # noqa: E402

from core.errors import TransportError

# ``save_refresh(account_name, refresh_token)``: where a renewed Pro Santé Connect refresh token is written (set
# by the façade). Kept here, not in core.auth.psc, so a profile opened without any PSC account does not import
# the OpenID client (urllib, http.client: about 10 ms of every command).
save_refresh: Callable[[str, str], None] | None = None
# ``forget_refresh(account_name, refused)``: forget a refused refresh token unless another process stored a newer
# one meanwhile, which it returns (else "") (set by the façade, like ``save_refresh``).
forget_refresh: Callable[[str, str], str] | None = None


# The errors of a Pro Santé Connect login, kept here (core.auth.psc gives the same classes) so that the loops
# that catch them (the app's background sync, the daemon) do not import the OpenID client for accounts that
# never log in with it (urllib.request, http.client: about 0.65 MB of an app with a password or certificate
# account).
class PscError(TransportError):
    """Pro Santé Connect said no, or could not be reached; the message is one French line."""


class LoginRequired(PscError):
    """No usable refresh token: a CIBA login (approval on the phone) is needed. Retrying alone cannot help."""

    permanent = True
