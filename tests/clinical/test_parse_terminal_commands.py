"""`missive parse` writes a report's identity and title to the terminal: a control character in them (an HL7
'\\X1B\\' escape is an ESC; any reader can carry one) is shown as U+FFFD, never sent to the terminal (OSC 0
sets the window title, OSC 52 writes the clipboard, CSI moves the cursor over what follows)."""

from __future__ import annotations

from pathlib import Path

HL7 = (
    b"MSH|^~\\&|LAB|X|||20240101||ORU^R01|1|P|2.5\r"
    b"PID|1||123^^^H||DUP\\X1B\\]0;PWNED\\X07\\ONT^JEAN\\X1B\\[2J||19800102|M\r"
    b"OBR|1|||GLU^Glucose\\X9B\\31m\r"
    b"OBX|1|ST|GLU^Glucose||5.5|mmol/L|3-6|N\r"
)


def test_missive_parse_writes_no_terminal_command(profile, cli, tmp_path: Path) -> None:
    report = tmp_path / "r.hl7"
    report.write_bytes(HL7)
    code, out, err = cli("parse", str(report))
    assert code == 0, err
    assert "DUP" in out and "JEAN" in out
    assert not any(ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in out), repr(out)
