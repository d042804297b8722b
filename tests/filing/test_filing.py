"""Filing into the practice software's import folder: atomic, never overwriting, portable names."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clinical import filing
from core.clinical.filing import PRESETS, FilingFields, FilingProfile, sanitise
from core.errors import ConfigError, NotFound

DATA = Path(__file__).resolve().parent.parent / "data" / "filing"
ISSUE_PROGRAMS = (
    "AAtlantide", "AlmaPro", "Axisanté", "Crossway", "HelloDoc", "Docware", "medi 4000", "MedicalNet",
    "Medicawin", "Mediclick", "Medycis", "Mon logiciel médical", "Xmed",
)  # fmt: skip
WINDOWS_RESERVED = (
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)


def test_every_program_of_the_issue_has_an_honest_preset() -> None:
    for name in ISSUE_PROGRAMS:
        p = filing.preset(name)
        assert p.name == name
        assert p.verified is False and "not verified" in p.note
        assert p.folder and p.extension == ".hpr" and p.encoding == "original"
    assert filing.preset("mon-logiciel-medical").name == "Mon logiciel médical"


def test_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="'weda' est inconnu.*crossway"):
        FilingProfile.from_settings({"preset": "weda", "folder": "/x"})


def test_template_with_unknown_field_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"\{nom\}"):
        FilingProfile.from_settings({"folder": "/x", "template": "{date}_{nom}"})


def test_no_folder_means_a_clear_configuration_error(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"preset": "crossway"})
    assert not profile.configured
    with pytest.raises(ConfigError, match=r"\[filing\] folder"):
        profile.file(b"x", FilingFields("p1", "d1"))


def test_original_bytes_are_filed_untouched(tmp_path: Path) -> None:
    raw = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
    profile = FilingProfile.from_settings({"preset": "medicawin", "folder": str(tmp_path)})
    path = profile.file(raw, FilingFields("P-42", "d-1", "BIOLAB", dt.datetime(2024, 3, 14, 8, 30)))
    assert path.read_bytes() == raw
    assert path.name == "20240314_BIOLAB_P-42_d-1.hpr"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_transcoding_when_the_preset_asks_for_it(tmp_path: Path) -> None:
    raw = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
    profile = FilingProfile.from_settings({"folder": str(tmp_path), "encoding": "utf-8"})
    path = profile.file(raw, FilingFields("P-42", "d-1"))
    assert path.read_bytes().decode("utf-8") == raw.decode("cp1252")


def test_two_results_same_patient_same_day_do_not_overwrite(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"folder": str(tmp_path), "template": "{date}_{patient}"})
    when = dt.datetime(2024, 3, 14)
    first = profile.file(b"first result", FilingFields("P-1", "d-1", date=when))
    second = profile.file(b"second result", FilingFields("P-1", "d-2", date=when))
    assert first != second
    assert first.read_bytes() == b"first result" and second.read_bytes() == b"second result"


def test_sequence_field_counts_collisions(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"folder": str(tmp_path), "template": "{patient}_{seq}"})
    names = [profile.file(b"r%d" % i, FilingFields("P", f"d{i}")).name for i in range(3)]
    assert names == ["P_001.hpr", "P_002.hpr", "P_003.hpr"]


def test_patient_folders_layout(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"folder": str(tmp_path), "layout": "patient-folders"})
    path = profile.file(b"res", FilingFields("../P 7", "d-1", format="pdf"))
    assert path.parent.parent == tmp_path and path.parent.name == "P_7"
    assert path.suffix == ".pdf"


def test_concurrent_polling_reader_never_sees_partial_or_duplicate(tmp_path: Path) -> None:
    """An LGC polls the folder while hundreds of results are filed: each file it opens is whole."""
    folder = tmp_path / "import"
    profile = FilingProfile.from_settings({"folder": str(folder), "template": "{date}_{patient}"})
    total = 300
    # Each payload states its own length and ends with a marker, so a torn read is detectable.
    payloads = [
        (f"HEADER {i:04d} ".encode() + os.urandom(1000 + 37 * i).hex().encode() + b"\n****FIN****\n")
        for i in range(total)
    ]
    done = threading.Event()
    problems: list[str] = []
    seen: dict[str, bytes] = {}

    def reader() -> None:
        while True:
            finished = done.is_set()
            for entry in os.scandir(folder) if folder.exists() else ():
                # What a real LGC does: only files with its extension, not hidden ones.
                if entry.name.startswith(".") or not entry.name.endswith(".hpr"):
                    continue
                try:
                    with open(entry.path, "rb") as fh:
                        content = fh.read()
                except FileNotFoundError:
                    problems.append(f"listed then vanished: {entry.name}")
                    continue
                if not content.endswith(b"****FIN****\n") or content not in expected:
                    problems.append(f"partial read of {entry.name} ({len(content)} bytes)")
                if seen.setdefault(entry.name, content) != content:
                    problems.append(f"{entry.name} changed after it appeared")
            if finished:
                return

    expected = set(payloads)
    thread = threading.Thread(target=reader)
    thread.start()
    when = dt.datetime(2024, 3, 14)
    try:
        paths = [
            profile.file(data, FilingFields("P-1", f"d{i}", date=when)) for i, data in enumerate(payloads)
        ]
    finally:
        done.set()
        thread.join()
    assert problems == []
    assert len(set(paths)) == total
    assert sorted(seen.values()) == sorted(payloads)  # every result seen once, none twice
    assert sorted(p.read_bytes() for p in paths) == sorted(payloads)


def test_concurrent_writers_never_overwrite_each_other(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"folder": str(tmp_path), "template": "{patient}"})
    results: list[Path] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        for i in range(40):
            path = profile.file(f"{n}-{i}".encode(), FilingFields("P", f"d{n}-{i}"))
            with lock:
                results.append(path)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 160
    assert sorted(p.read_bytes() for p in results) == sorted(
        f"{n}-{i}".encode() for n in range(4) for i in range(40)
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_sanitised_names_are_portable(text: str) -> None:
    name = sanitise(text)
    assert 0 < len(name) <= filing.MAX_NAME
    assert name.isascii() and "/" not in name and "\\" not in name and ":" not in name
    assert not name.startswith(".") and not name.endswith((".", " "))
    assert name.split(".", 1)[0].upper() not in WINDOWS_RESERVED


@settings(max_examples=200, deadline=None)
@given(
    patient=st.text(max_size=80),
    doc=st.text(max_size=80),
    sender=st.text(max_size=80),
    template=st.sampled_from(["{date}_{sender}_{patient}_{doc}", "{patient}", "{doc}-{seq}", "x{time}"]),
    seq=st.integers(1, 50),
)
def test_rendered_names_stay_in_the_folder(
    patient: str, doc: str, sender: str, template: str, seq: int
) -> None:
    name = filing.render_name(
        template, FilingFields(patient, doc, sender, dt.datetime(2024, 1, 2)), seq, ".hpr"
    )
    assert name.endswith(".hpr") and len(name) <= filing.MAX_NAME
    assert name.isascii() and "/" not in name and "\\" not in name and name not in (".", "..")
    assert not name.startswith(".")
    assert name.split(".", 1)[0].upper() not in WINDOWS_RESERVED


def test_reserved_windows_names_are_defused() -> None:
    assert sanitise("con") == "_con"
    assert sanitise("LPT1.hpr", keep_extension=True) == "_LPT1.hpr"


def test_undo_moves_the_file_out_of_the_import_folder(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"folder": str(tmp_path / "lgc")})
    path = profile.file(b"result", FilingFields("P", "d"))
    moved = filing.undo(path, tmp_path / "quarantine")
    assert not path.exists() and list((tmp_path / "lgc").iterdir()) == []
    assert moved.parent == tmp_path / "quarantine" and moved.read_bytes() == b"result"
    again = filing.undo(profile.file(b"other", FilingFields("P", "d")), tmp_path / "quarantine")
    assert again != moved and moved.read_bytes() == b"result"  # quarantine never overwrites either


def test_undo_of_a_file_the_lgc_already_took(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"folder": str(tmp_path)})
    path = profile.file(b"result", FilingFields("P", "d"))
    path.unlink()  # the practice software imported it and removed it
    with pytest.raises(NotFound, match="l'a sans doute déjà intégré"):
        filing.undo(path, tmp_path / "q")


def test_presets_table_lists_fourteen() -> None:
    assert len(PRESETS) == 14 and "generic" in PRESETS
