"""Logins to mail servers that need more than a password: Pro Santé Connect (OpenID CIBA)."""
