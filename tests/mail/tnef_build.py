"""Writing small TNEF streams (MS-OXTNEF) for the tests: what Outlook writes for a letter with files, built
here so a test can hold an HPRIM result, a nested message or a chosen defect. The reader is checked against
Outlook's own files and the reference decoder in test_tnef.py; this writer only feeds it."""

from __future__ import annotations

import email.policy
import struct
from email.message import EmailMessage

SIGNATURE = 0x223E9F78
ATT_MSG_PROPS, ATT_OEM_CODEPAGE, ATT_BODY = 0x00069003, 0x00069007, 0x0002800C
ATT_RENDDATA, ATT_TITLE, ATT_DATA, ATT_ATTACHMENT = 0x00069002, 0x00018010, 0x0006800F, 0x00069005
PT_LONG, PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT = 0x03, 0x1E, 0x1F, 0x102, 0x0D
IID_IMESSAGE = bytes.fromhex("0703020000000000c000000000000046")


def attribute(level: int, attr_id: int, data: bytes, checksum: int | None = None) -> bytes:
    total = sum(data) & 0xFFFF if checksum is None else checksum
    return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", total)


def _padded(value: bytes) -> bytes:
    return struct.pack("<I", len(value)) + value + b"\0" * (-len(value) % 4)


def properties(*props: tuple[int, int, bytes | int | str]) -> bytes:
    """A MAPI property list: (type, id, value) each; strings, binaries and objects as one value."""
    out = struct.pack("<I", len(props))
    for prop_type, prop_id, value in props:
        out += struct.pack("<HH", prop_type, prop_id)
        if prop_type == PT_LONG:
            assert isinstance(value, int)
            out += struct.pack("<I", value)
        elif prop_type == PT_UNICODE:
            assert isinstance(value, str)
            out += struct.pack("<I", 1) + _padded((value + "\0").encode("utf-16-le"))
        else:
            data = value.encode("cp1252") + b"\0" if isinstance(value, str) else value
            assert isinstance(data, bytes)
            out += struct.pack("<I", 1) + _padded(data)
    return out


def stream(*attributes: bytes, key: int = 0x0237) -> bytes:
    return struct.pack("<IH", SIGNATURE, key) + b"".join(attributes)


def winmail(
    files: list[tuple[str, bytes]],
    body: str | None = None,
    rtf: bytes | None = None,
    embedded: bytes | None = None,
) -> bytes:
    """A stream as Outlook writes it: code page 1252, the message's properties (a plain body, or an
    uncompressed 'MELA' RTF one), each file with its 8.3 title, its data and its long name in Unicode, and
    ``embedded`` (another stream) as an attached message."""
    message_props: list[tuple[int, int, bytes | int | str]] = []
    if body is not None:
        message_props.append((PT_STRING8, 0x1000, body))
    if rtf is not None:
        mela = struct.pack("<IIII", len(rtf) + 12, len(rtf), 0x414C454D, 0) + rtf
        message_props.append((PT_BINARY, 0x1009, mela))
    parts = [
        attribute(1, 0x00089006, struct.pack("<I", 0x00010000)),
        attribute(1, ATT_OEM_CODEPAGE, struct.pack("<II", 1252, 0)),
        attribute(1, ATT_MSG_PROPS, properties(*message_props)),
    ]
    for name, data in files:
        short = name.upper()[:8] + ("." + name.rsplit(".", 1)[-1].upper()[:3] if "." in name else "")
        parts += [
            attribute(2, ATT_RENDDATA, struct.pack("<HIIHHI", 1, 0xFFFFFFFF, 0, 0, 0, 0)),
            attribute(2, ATT_TITLE, short.encode("cp1252") + b"\0"),
            attribute(2, ATT_DATA, data),
            attribute(
                2,
                ATT_ATTACHMENT,
                properties((PT_LONG, 0x3705, 1), (PT_UNICODE, 0x3707, name), (PT_BINARY, 0x3701, data)),
            ),
        ]
    if embedded is not None:
        parts += [
            attribute(2, ATT_RENDDATA, struct.pack("<HIIHHI", 1, 0xFFFFFFFF, 0, 0, 0, 0)),
            attribute(2, ATT_TITLE, b"Message\0"),
            attribute(
                2,
                ATT_ATTACHMENT,
                properties((PT_LONG, 0x3705, 5), (PT_OBJECT, 0x3701, IID_IMESSAGE + embedded)),
            ),
        ]
    return stream(*parts)


def letter_with_winmail(
    tnef: bytes,
    text: str = "Veuillez trouver ci-joint le compte rendu.\n",
    sender: str = "secretariat@chu.mssante.fr",
    subject: str = "Compte rendu",
    number: int = 1,
) -> bytes:
    """A message as Exchange sends it: a plain text part and the winmail.dat."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = "dr@cabinet.mssante.fr"
    msg["Subject"] = subject
    msg["Date"] = f"Mon, 02 Mar 2026 10:0{number % 10}:00 +0100"
    msg["Message-ID"] = f"<tnef{number}@chu.mssante.fr>"
    msg.set_content(text)
    msg.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return msg.as_bytes()
