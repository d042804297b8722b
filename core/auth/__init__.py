"""Logins to mail servers that need more than a password: Pro Santé Connect (OpenID CIBA)."""

from collections.abc import Callable  # noqa: E402

# ``save_refresh(account_name, refresh_token)``: where a renewed Pro Santé Connect refresh token is written (set
# by the façade). Kept here, not in core.auth.psc, so a profile opened without any PSC account does not import
# the OpenID client (urllib, http.client: about 10 ms of every command).
save_refresh: Callable[[str, str], None] | None = None
# ``forget_refresh(account_name, refused)``: forget a refused refresh token unless another process stored a newer
# one meanwhile, which it returns (else "") (set by the façade, like ``save_refresh``).
forget_refresh: Callable[[str, str], str] | None = None
