"""ID tokens are checked against the provider's JWKS (RS256), without a JWT library."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.auth import jws
from core.errors import SecurityError
from tests.servers.psc import PscStandIn


def _stand_in(tmp_path: Path) -> PscStandIn:
    return PscStandIn(tmp_path, tmp_path / "c", tmp_path / "k", tmp_path / "ca")  # not started: keys only


def test_a_token_signed_by_the_provider_verifies(tmp_path: Path) -> None:
    provider = _stand_in(tmp_path)
    token = provider.sign({"iss": "https://psc.test", "aud": "missive", "sub": "x"})
    assert jws.verify_rs256(token, provider.jwks())["aud"] == "missive"


def test_another_key_a_changed_claim_or_another_algorithm_is_refused(tmp_path: Path) -> None:
    provider, impostor = _stand_in(tmp_path / "a"), _stand_in(tmp_path / "b")
    token = impostor.sign({"iss": "https://psc.test", "aud": "missive"})
    with pytest.raises(SecurityError, match="signature"):
        jws.verify_rs256(token, provider.jwks())
    head, body, sig = provider.sign({"aud": "missive"}).split(".")
    forged = jws.decode(provider.sign({"aud": "autre"}))[2].decode().split(".")[1]
    with pytest.raises(SecurityError, match="signature"):
        jws.verify_rs256(f"{head}.{forged}.{sig}", provider.jwks())
    none_alg = "eyJhbGciOiJub25lIn0." + body + "."
    with pytest.raises(SecurityError, match="algorithme refusé"):
        jws.verify_rs256(none_alg, provider.jwks())
    with pytest.raises(SecurityError, match="illisible"):
        jws.verify_rs256("pas-un-jeton", provider.jwks())
