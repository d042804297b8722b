"""TrustPolicy: modes, allow-list, MSSanté whitelist, patient mailboxes."""

from __future__ import annotations

import pytest

from core.errors import BadInput, ParseError, PolicyRefused
from core.secure.trust import TrustPolicy, parse_whitelist
from core.store.collection import MemoryCollection
from tests.secure.conftest import DATA

WHITELIST = (DATA / "listeblanchemssante.xml").read_bytes()


def policy(mode: str = "trust-space", allow=(), patients: bool = False) -> TrustPolicy:
    p = TrustPolicy(mode, allow, patients, MemoryCollection("trust"))
    p.import_whitelist(WHITELIST)
    return p


def test_whitelist_fixture_is_read():
    """The real structure: DateDeGeneration element first, ListeDomaines/Domaine, one Domaine per operator
    certificate (hopital.test twice here): each domain once."""
    domains, generated = parse_whitelist(WHITELIST)
    assert "hopital.test" in domains and "clinique.test" in domains  # lower-cased
    assert domains.count("hopital.test") == 1
    assert "" not in domains and len(domains) == 5
    assert generated == "2026-03-02T03:00:12Z"


def test_whitelist_of_the_earlier_description_still_reads():
    """A file shaped as an earlier version of STANDARDS.md described it (date on the root, Domaine under it)."""
    old = (
        b'<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema" DateDeGeneration="2025-01-01T00:00:00Z">'
        b"<Domaine><Nom>a.test</Nom></Domaine></ListeBlanche>"
    )
    assert parse_whitelist(old) == (["a.test"], "2025-01-01T00:00:00Z")


def test_trust_space_refuses_outsiders_naming_them():
    p = policy()
    p.check_outgoing(["dr@hopital.test", "<Sec@Clinique.test>"], will_encrypt=False)
    with pytest.raises(PolicyRefused, match="gmail.example"):
        p.check_outgoing(["dr@hopital.test", "someone@gmail.example"], will_encrypt=False)


def test_allow_list_admits_domains_addresses_and_subdomains():
    p = policy(allow=["ailleurs.test", "one@perso.test", "*.ghu.test"])
    for ok in ("x@ailleurs.test", "one@perso.test", "x@cardio.ghu.test"):
        assert p.is_allowed(ok), ok
    for ko in ("two@perso.test", "x@ghu.test.evil", "x@notailleurs.test"):
        assert not p.is_allowed(ko), ko


def test_patient_mailboxes_are_never_encrypted_to_unless_configured():
    p = policy()
    ins = "279035121518989@patient.mssante.fr"
    p.check_outgoing([ins], will_encrypt=False)
    with pytest.raises(PolicyRefused) as err:
        p.check_outgoing(["dr@hopital.test", ins], will_encrypt=True)
    assert "279035121518989" not in str(err.value)  # the INS stays out of errors and logs
    assert "destinataire n° 2" in str(err.value)
    policy(patients=True).check_outgoing([ins], will_encrypt=True)


def test_one_patient_encryption_rule_for_sending_and_for_smime_encrypt():
    """`missive smime encrypt` and a letter sent encrypted meet the same decision, in the same words."""
    p = policy()
    ins = "279035121518989@patient.mssante.fr"
    with pytest.raises(PolicyRefused) as direct:
        p.check_encryption(["dr@hopital.test", ins])
    with pytest.raises(PolicyRefused) as sending:
        p.check_outgoing(["dr@hopital.test", ins], will_encrypt=True)
    assert direct.value.text == sending.value.text  # same code, same parameters
    assert "destinataire n° 2" in str(direct.value) and "279035121518989" not in str(direct.value)
    policy(patients=True).check_encryption([ins])  # trust.encrypt_to_patients = true


def test_strict_mode_sends_encrypted_only():
    p = policy("strict")
    p.check_outgoing(["anyone@ailleurs.test"], will_encrypt=True)
    with pytest.raises(PolicyRefused, match="le mode strict n'envoie que des messages chiffrés"):
        p.check_outgoing(["anyone@ailleurs.test"], will_encrypt=False)


def test_open_mode_lets_everything_through():
    p = policy("open")
    p.check_outgoing(["x@anywhere.example"], will_encrypt=False)
    assert p.classify_incoming("x@anywhere.example", False, False) == "accept"


def test_bad_addresses_and_no_recipient_are_refused():
    p = policy("open")
    with pytest.raises(PolicyRefused, match="n'est pas une adresse e-mail"):
        p.check_outgoing(["not-an-address"], will_encrypt=False)
    with pytest.raises(BadInput):
        p.check_outgoing([], will_encrypt=False)


def test_incoming_classification():
    trust_space, strict = policy(), policy("strict")
    assert trust_space.classify_incoming("dr@hopital.test", False, False) == "accept"
    assert trust_space.classify_incoming("spam@evil.example", True, True) == "quarantine"
    assert trust_space.classify_incoming(None, True, True) == "quarantine"
    assert strict.classify_incoming("dr@hopital.test", True, True) == "accept"
    assert strict.classify_incoming("dr@hopital.test", True, False) == "quarantine"
    assert strict.classify_incoming("dr@hopital.test", False, True) == "quarantine"


def test_whitelist_survives_in_the_store_and_is_described():
    store = MemoryCollection("trust")
    TrustPolicy("trust-space", (), False, store).import_whitelist(WHITELIST)
    again = TrustPolicy("trust-space", (), False, store)
    assert again.is_allowed("dr@labo-exemple.mssante.fr")
    assert again.describe()["whitelist_domains"] == 5


@pytest.mark.parametrize(
    "xml",
    [
        b"<not xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b'<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema"></ListeBlanche>',
        b'<ListeBlanche xmlns="urn:other"><Domaine><Nom>x.fr</Nom></Domaine></ListeBlanche>',
    ],
    ids=["broken", "entities", "empty", "other-namespace"],
)
def test_bad_whitelists_are_parse_errors(xml):
    with pytest.raises(ParseError):
        parse_whitelist(xml)


NS = "https://listeblanche.mssante.fr/schema"
LIST = f'<ListeBlanche xmlns="{NS}"><Domaine><Nom>&a;</Nom></Domaine><Domaine><Nom>b.fr</Nom></Domaine></ListeBlanche>'


@pytest.mark.parametrize(
    "xml",
    [
        # the DOCTYPE was looked for in the bytes: in UTF-16, its entity was expanded into the trust space
        f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE l [<!ENTITY a "evil.example">]>{LIST}'.encode("utf-16"),
        # or after 4 KB of comments, an external DTD (no entity declared inside)
        f'<?xml version="1.0"?><!-- {"x" * 5000} --><!DOCTYPE l SYSTEM "http://127.0.0.1:9/l.dtd">{LIST}'.replace(
            "&a;", "a.fr"
        ).encode(),
    ],
    ids=["utf-16", "after-4-kb"],
)
def test_a_whitelist_declaring_a_doctype_anywhere_is_refused(xml):
    with pytest.raises(ParseError, match="déclare un DOCTYPE"):
        parse_whitelist(xml)


def test_a_whitelist_in_utf16_without_doctype_is_read():
    xml = f'<?xml version="1.0" encoding="UTF-16"?>{LIST.replace("&a;", "a.fr")}'.encode("utf-16")
    assert parse_whitelist(xml) == (["a.fr", "b.fr"], "")


def test_unknown_mode_is_refused():
    with pytest.raises(BadInput, match="open, trust-space ou strict"):
        TrustPolicy("paranoid")
