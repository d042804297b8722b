"""Filing into the practice software's import folder: atomic, never overwriting, portable names."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ConfigError, NotFound
from core.practice import filing
from core.practice.filing import PRESETS, FilingFields, FilingProfile, sanitise

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


def test_the_default_filing_profile_folds_no_accent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inbox builds the default filing profile at every start: a preset found by its key, or an ASCII
    name, folds no accent. Folding one (NFKD) read some 240 KB of Unicode tables into the app's memory for
    the life of the app (the first preset's name, 'Générique...', was folded to be compared with 'generic')."""
    folded: list[str] = []
    real = filing.unicodedata.normalize

    def normalize(form: str, text: str) -> str:
        folded.append(text)
        return real(form, text)

    monkeypatch.setattr(filing.unicodedata, "normalize", normalize)
    assert FilingProfile.from_settings({}).preset.key == "generic"
    assert filing.preset("Crossway").key == "crossway"
    assert sanitise("CR_2024.hpr") == "CR_2024.hpr"
    assert folded == []
    # names with accents are still folded, so found whatever their accents
    assert filing.preset("Générique (dossier d'import HPRIM)").key == "generic"
    assert filing.preset("axisante").name == "Axisanté"
    assert sanitise("Résultat é.hpr") == "Resultat_e.hpr"
    assert folded


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
    # an id that had to change to be a file name carries a hash of itself: no other id gets that folder
    assert path.parent.parent == tmp_path and path.parent.name.startswith("P_7_")
    assert path.suffix == ".pdf"
    plain = profile.file(b"res", FilingFields("P-7", "d-2"))
    assert plain.parent.name == "P-7"  # an id that is already a portable name is the folder's name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["P-7", path.parent.name])


COLLIDING_IDS = [
    ("2024/001", "2024_001"),
    ("NUL", "_NUL"),
    ("é1", "e1"),
    ("É1", "E1"),
    ("A" * 32 + "-one", "A" * 32 + "-two"),
    ("x" * 40 + "1", "x" * 40 + "2"),
    ("p-1", "P-1"),  # one folder on a case-blind file system (Windows, macOS)
    ("P 1", "P_1"),
    ("P-1.", "P-1"),
    ("2024_001_" + filing.patient_folder("2024/001").rsplit("_", 1)[1], "2024/001"),
]


@pytest.mark.parametrize(("first", "second"), COLLIDING_IDS)
def test_distinct_patient_ids_never_share_a_folder(tmp_path: Path, first: str, second: str) -> None:
    """The issue's colliding ids, filed for real: each patient's result alone in a folder of its own."""
    profile = FilingProfile.from_settings({"folder": str(tmp_path), "layout": "patient-folders"})
    a = profile.file(b"result of the first", FilingFields(first, "d-1"))
    b = profile.file(b"result of the second", FilingFields(second, "d-2"))
    assert a.parent.name.lower() != b.parent.name.lower()
    assert [p.read_bytes() for p in a.parent.iterdir()] == [b"result of the first"]
    assert [p.read_bytes() for p in b.parent.iterdir()] == [b"result of the second"]
    # and the same id always finds its own folder again
    assert profile.file(b"second result", FilingFields(first, "d-3")).parent == a.parent


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_patient_folder_names_are_injective_and_portable(a: str, b: str) -> None:
    name_a, name_b = filing.patient_folder(a), filing.patient_folder(b)
    assert name_a.isascii() and "/" not in name_a and "\\" not in name_a and not name_a.startswith(".")
    assert name_a.split(".", 1)[0].upper() not in WINDOWS_RESERVED
    if a != b:
        assert name_a.lower() != name_b.lower()


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


def test_a_program_importing_every_file_never_sees_a_temporary_one(tmp_path: Path) -> None:
    """Some practice programs import whatever file appears in their folder, whatever its name: the temporary
    files live in a hidden sub-folder, so every file that ever shows up in the folder is a published one."""
    folder = tmp_path / "import"
    profile = FilingProfile.from_settings({"folder": str(folder), "template": "{patient}"})
    payloads = [b"R%04d " % i + os.urandom(4000 + 13 * i) for i in range(200)]
    done = threading.Event()
    seen: set[str] = set()

    def poll() -> None:
        while not done.is_set():
            for entry in os.scandir(folder) if folder.exists() else ():
                if entry.is_file(follow_symlinks=False):
                    seen.add(entry.name)

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        paths = [profile.file(data, FilingFields("P-1", f"d{i}")) for i, data in enumerate(payloads)]
    finally:
        done.set()
        thread.join()
    assert seen <= {p.name for p in paths}  # nothing but published names, ever
    assert sorted(os.listdir(folder)) == sorted(p.name for p in paths)  # and the hidden folder is gone


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


def test_withdraw_takes_the_file_out_of_the_import_folder_and_returns_its_bytes(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"folder": str(tmp_path / "lgc")})
    path = profile.file(b"result", FilingFields("P", "d"))
    assert filing.withdraw(path) == b"result"
    assert not path.exists() and list((tmp_path / "lgc").iterdir()) == []


def test_withdraw_of_a_file_the_lgc_already_took(tmp_path: Path) -> None:
    profile = FilingProfile.from_settings({"folder": str(tmp_path)})
    path = profile.file(b"result", FilingFields("P", "d"))
    path.unlink()  # the practice software imported it and removed it
    with pytest.raises(NotFound, match="l'a sans doute déjà intégré"):
        filing.withdraw(path)


def test_presets_table_lists_fourteen() -> None:
    assert len(PRESETS) == 14 and "generic" in PRESETS
