"""The reader's line for an encrypted letter missive cannot read. It said « chiffré pour une clé absente de ce
profil : importez votre certificat » whatever the reason, also for a letter whose key is in the profile but whose
cipher missive lacks (AES-CCM, smime-rs's test_encrypted_ccm128.eml) or that was encrypted with a password
(PWRI): the doctor was sent to import a certificate that changes nothing. The reason, the core's words, is the
letter's text below (tests/conformance/test_smime_rs_corpus.py reads them through a sync)."""

from __future__ import annotations

from core.model import MessageSummary, MessageView
from tui.panes.reader import encryption_words

SUMMARY = MessageSummary("m1", "cabinet", "INBOX", 1, "<m1@test>", "kalle@naide.ee", ("tiiu@naide.ee",), "Test", None)


def test_a_letter_not_readable_for_another_reason_than_a_key_does_not_ask_for_a_key() -> None:
    ccm = MessageView(
        summary=SUMMARY, encrypted=True, decrypted=False,
        problem="le chiffrement authentifié aes128_ccm n'est pas pris en charge (AES-GCM) : demandez à l'expéditeur"
        " d'utiliser AES-GCM ou AES-CBC",
    )  # fmt: skip
    words = encryption_words(ccm)
    assert "importez votre certificat" not in words
    assert words == " · chiffré, illisible : la raison est ci-dessous"


def test_the_other_lines_are_unchanged() -> None:
    assert encryption_words(MessageView(summary=SUMMARY)) == ""
    assert encryption_words(MessageView(summary=SUMMARY, encrypted=True)) == " · chiffré"
    old = MessageView(summary=SUMMARY, encrypted=True, cipher_note="chiffrement ancien (3DES)")
    assert encryption_words(old) == " · chiffré (chiffrement ancien (3DES))"
    no_reason = MessageView(summary=SUMMARY, encrypted=True, decrypted=False)
    assert encryption_words(no_reason) == " · chiffré pour une clé absente de ce profil : importez votre certificat"
