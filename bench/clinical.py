"""Clinical benchmark: reader throughput (files/s) and matching throughput (documents/s) at 1k, 10k, 100k patients.

Matching is measured side by side with the naive peer, MedShakeEHR's approach (STANDARDS.md §2.5): score every
patient on name / first name / birth date / NIR equality and keep those with two criteria or more. Prints the
100k/1k ratio of missive's matching time per document (target: under 1.5) and missive/peer speed ratios.
Run: .venv/bin/python -m bench.clinical [--sizes 1000,10000,100000] [--docs 2000] [--runs 3] [--stored-only]

``--cli`` times the command a user runs, ``missive match FILE...`` (a new process: unlock, read each file,
match, print the report), on profiles of each size, beside the naive peer run the same way (a process that
reads the same files and scores every patient); and the sync hook's path in-process (a letter carrying a lab
result stored by ``Mailroom``: read, matched, filed into a practice software's import folder or queued). Each is timed with N documents and with one in
interleaved rounds, so start-up cancels out: the cost per document is (t_N - t_1) / (N - 1).
Run: .venv/bin/python -m bench.clinical --cli [--sizes 1000,10000,100000] [--docs 1000] [--runs 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also runnable as `python bench/clinical.py`

from core.clinical.identity import compact  # noqa: E402
from core.clinical.matching import PatientIndex  # noqa: E402
from core.model import Identity, Patient  # noqa: E402
from tests.clinical.corpus import _doc_from, _typo, lab_style, make_patients  # noqa: E402


def documents_for(patients: list[Patient], count: int, seed: int) -> list[Identity]:
    """Result identities: 80% for patients of the registry (some with a typo), 20% for strangers."""
    rng = random.Random(seed)
    strangers = make_patients(max(1, count // 5), seed=seed + 1)
    out: list[Identity] = []
    for i in range(count):
        if i % 5 == 4:
            out.append(_doc_from(rng.choice(strangers), rng))
            continue
        ident = _doc_from(rng.choice(patients), rng)
        if i % 10 == 3:
            ident = replace(ident, family_name=_typo(rng, ident.family_name))
        out.append(ident)
    return out


class NaivePeer:
    """MedShakeEHR-style matching: every patient scored on equal name, first name, birth date and NIR."""

    def __init__(self, patients: list[Patient]) -> None:
        self.rows = [
            (
                p.id,
                {compact(p.birth_name), compact(p.used_name)},
                compact(p.given_names[0] if p.given_names else ""),
                p.birth_date,
                p.ins,
            )
            for p in patients
        ]

    def match(self, ident: Identity) -> list[str]:
        name, given = compact(ident.family_name), compact(ident.given_names[0] if ident.given_names else "")
        scored = []
        for pid, names, first, birth, ins in self.rows:
            hits = (
                (name in names)
                + (given == first)
                + (birth == ident.birth_date)
                + (bool(ins) and ins == ident.nir)
            )
            if hits >= 2:
                scored.append((hits, pid))
        scored.sort(reverse=True)
        return [pid for _, pid in scored[:5]]


def per_item(func: Callable[[Identity], object], items: list[Identity], repeat: int = 3) -> float:
    """Median over ``repeat`` runs of the mean seconds per item."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            func(item)
        runs.append((time.perf_counter() - start) / len(items))
    return statistics.median(runs)


# ------------------------------------------------------------------------------------ readers


def hprim_net_file(p: Patient, rng: random.Random) -> bytes:
    given = " ".join(lab_style(g) for g in p.given_names)
    lines = [
        f"A{rng.randrange(10**8):08d}",
        lab_style(p.used_name or p.birth_name),
        given,
        "12 RUE DES LILAS",
        "",
        "75011 PARIS",
        f"{p.birth_date:%d/%m/%Y}",
        p.ins or "",
        f"D{rng.randrange(10**6)}",
        "10/01/2026",
        "LAB1       LABO DU CENTRE",
        "DR01       Dr MEDECIN",
        "Bilan biologique.",
        "****LAB****",
    ]
    for code, label, unit, lo, hi in (
        ("GLY", "Glycemie", "mmol/l", "4,1", "6,1"),
        ("CREA", "Creatinine", "umol/l", "45", "90"),
        ("HB", "Hemoglobine", "g/dl", "12", "16"),
        ("K", "Potassium", "mmol/l", "3,5", "5,0"),
    ):
        value = f"{rng.uniform(1, 100):.1f}".replace(".", ",")
        lines.append(f"RES|{label}|{code}|N|{value}|{unit}|{lo}|{hi}|N|F")
    lines += ["****FIN****", "****FINFICHIER****"]
    return "\r\n".join(lines).encode("cp1252", "replace")


def hl7_file(p: Patient, rng: random.Random) -> bytes:
    given = "^".join(lab_style(g) for g in p.given_names[:2])
    ins = f"{p.ins}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS~" if p.ins else ""
    segs = [
        "MSH|^~\\&|LAB|LABO|MEDECIN|CABINET|20260110101500||ORU^R01^ORU_R01|"
        f"{rng.randrange(10**9)}|P|2.5|||||FRA|UNICODE UTF-8",
        f"PID|||{ins}{rng.randrange(10**6)}^^^LABO^PI||{lab_style(p.used_name or p.birth_name)}^{given}^^^^^D"
        f"~{lab_style(p.birth_name)}^{given}^^^^^L||{p.birth_date:%Y%m%d}|{p.sex}",
        "OBR|1||D1|24331-1^Bilan^LN|||20260110080000",
    ]
    for i, (code, label, unit) in enumerate(
        (("2345-7", "Glucose", "mmol/L"), ("2160-0", "Creatinine", "umol/L")), 1
    ):
        segs.append(f"OBX|{i}|NM|{code}^{label}^LN||{rng.uniform(1, 100):.1f}|{unit}|1-100|N|||F")
    return ("\r".join(segs) + "\r").encode()


def bench_readers(count: int) -> None:
    try:
        from core.clinical.readers import read_document
    except ImportError:
        print("readers: core.clinical.readers not available, skipped")
        return
    rng = random.Random(5)
    patients = make_patients(count, seed=5)
    for label, make, name in (("HPRIM Net", hprim_net_file, "r.hpr"), ("HL7 v2.5 ORU", hl7_file, "r.hl7")):
        files = [make(p, rng) for p in patients]
        read_document(files[0], name)  # warm caches and imports
        start = time.perf_counter()
        docs = sum(len(read_document(data, name).documents) for data in files)
        elapsed = time.perf_counter() - start
        print(
            f"readers: {label:13} {len(files) / elapsed:8.0f} files/s ({docs} documents from {len(files)} files)"
        )


# ------------------------------------------------------------------------------------ matching


def bench_matching(sizes: list[int], docs: int, rounds: int = 7) -> None:
    """Registries of growing size share their first patients, and the same documents are matched
    against each, so the only thing that changes between sizes is the number of patients.

    Sizes are timed in interleaved rounds and the best round kept: other work on the machine then
    slows every size alike instead of whichever happened to run at that moment.
    """
    population = make_patients(max(sizes), seed=11)
    identities = documents_for(population[: min(sizes)], docs, seed=12)
    indexes: dict[int, PatientIndex] = {}
    for n in sorted(sizes):
        start = time.perf_counter()
        indexes[n] = PatientIndex(population[:n])
        print(f"matching {n:>7} patients: index built in {time.perf_counter() - start:.2f} s")
        for ident in identities:  # warm the name caches as a running client would
            indexes[n].match(ident)
    best = {n: float("inf") for n in indexes}
    for _ in range(rounds):
        for n, index in indexes.items():
            best[n] = min(best[n], per_item(index.match, identities, repeat=1))
    for n, index in indexes.items():
        t = best[n]
        peer = NaivePeer(population[:n])
        peer_docs = identities[: max(20, min(docs, 2_000_000 // n))]  # the peer is linear: fewer documents
        tp = per_item(peer.match, peer_docs, repeat=1)
        decisions = [index.match(i).decision for i in identities]
        share = {d: decisions.count(d) / len(decisions) for d in ("auto", "review", "new")}
        print(
            f"matching {n:>7} patients: missive {1 / t:8.0f} docs/s ({t * 1e6:6.0f} µs/doc); "
            f"naive peer {1 / tp:8.0f} docs/s; missive/peer speed x{tp / t:.1f}; "
            f"auto {share['auto']:.0%} review {share['review']:.0%} new {share['new']:.0%}"
        )
    lo, hi = min(best), max(best)
    if hi != lo:
        print(
            f"matching time per document, {hi // 1000}k/{lo // 1000}k ratio: {best[hi] / best[lo]:.2f} "
            "(target < 1.5)"
        )


def bench_stored(sizes: list[int], docs: int, rounds: int = 5, runs: int = 1) -> list[float]:
    """The path of `missive match`, the sync hook and the daemon: the registry's index kept on disk
    (core.store.patientindex), opened as a new command opens it (nothing cached).

    Per size: the cost of opening a profile's index, and the cost per document. Sizes are timed in
    interleaved rounds and the best round kept (other work on the machine slows every size alike). With
    ``runs`` > 1 the whole measurement is repeated on the same indexes: each run's ratio is printed, then
    their median. Returns the ratios.
    """
    import os
    import tempfile

    os.environ.setdefault("MISSIVE_KDF", "floor")
    from core.mailroom import Mailroom

    population = make_patients(max(sizes), seed=11)
    identities = documents_for(population[: min(sizes)], docs, seed=12)
    with tempfile.TemporaryDirectory() as tmp:
        folders: dict[int, Path] = {}
        for n in sorted(sizes):
            folders[n] = Path(tmp) / f"p{n}"
            room = Mailroom.create(folders[n], "bench")
            room.profile.collection("patients").put_many({p.id: p.to_json() for p in population[:n]})
            start = time.perf_counter()
            room.patients.index()
            size = (folders[n] / "index" / "patients.sqlite3").stat().st_size
            print(f"stored index {n:>7} patients: built in {time.perf_counter() - start:.2f} s ({size / 1e6:.0f} MB)")
        ratios: list[float] = []
        for run in range(1, runs + 1):
            opened = {n: float("inf") for n in folders}
            per_doc = {n: float("inf") for n in folders}
            for _ in range(rounds):
                for n, folder in folders.items():
                    cold = Mailroom.open(folder, "bench")  # a new command: nothing cached
                    start = time.perf_counter()
                    index = cold.patients.index()
                    index.match(identities[0])
                    opened[n] = min(opened[n], time.perf_counter() - start)
                    per_doc[n] = min(per_doc[n], per_item(index.match, identities, repeat=1))
            where = f" (run {run} of {runs})" if runs > 1 else ""
            for n in folders:
                print(
                    f"stored index {n:>7} patients{where}: opened and first match in {opened[n] * 1e3:.0f} ms; "
                    f"{per_doc[n] * 1e6:.0f} µs/doc ({len(identities)} documents, from a cold open)"
                )
            lo, hi = min(per_doc), max(per_doc)
            if hi != lo:
                ratios.append(per_doc[hi] / per_doc[lo])
                print(
                    f"stored index time per document, {hi // 1000}k/{lo // 1000}k ratio{where}: {ratios[-1]:.2f} "
                    "(target < 1.5)"
                )
    if len(ratios) > 1:
        print(
            f"stored index time per document, {max(sizes) // 1000}k/{min(sizes) // 1000}k ratio, median of "
            f"{len(ratios)} runs: {statistics.median(ratios):.2f} (target < 1.5; runs: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + ")"
        )
    return ratios


# ------------------------------------------------------------------------------------ the command a user runs

PASSPHRASE = "bench"


def _document_patients(population: list[Patient], count: int, seed: int) -> list[Patient]:
    """The patients the lab results are for: as ``documents_for``, 80% in the registry (one in ten with a
    typo in the family name), 20% strangers; the registry's part drawn from its first patients, which
    every size holds."""
    rng = random.Random(seed)
    strangers = make_patients(max(1, count // 5), seed=seed + 1)
    out: list[Patient] = []
    for i in range(count):
        if i % 5 == 4:
            out.append(rng.choice(strangers))
            continue
        p = rng.choice(population)
        if i % 10 == 3:
            name = _typo(rng, lab_style(p.used_name or p.birth_name))
            p = replace(p, used_name=name) if p.used_name else replace(p, birth_name=name)
        out.append(p)
    return out


def _write_documents(folder: Path, patients: list[Patient], seed: int) -> list[Path]:
    """One lab-result file per patient, HPRIM Net and HL7 v2.5 in turn (0600, in a 0700 folder)."""
    import os

    rng = random.Random(seed)
    folder.mkdir(mode=0o700, parents=True)
    paths = []
    for i, p in enumerate(patients):
        if i % 2 == 0:
            data, name = hprim_net_file(p, rng), f"r{i:05d}.hpr"
        else:
            data, name = hl7_file(p, rng), f"r{i:05d}.hl7"
        path = folder / name
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


def _missive(*args: str) -> list[str]:
    """``missive ARGS`` as a user runs it: the venv's console script when there is one."""
    script = Path(sys.executable).parent / "missive"
    if script.is_file():
        return [str(script), *args]
    return [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())", *args]


_PEER = """
import csv, datetime, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bench.clinical import NaivePeer
from core.clinical.readers import read_document
from core.model import Patient
with open(sys.argv[2], newline="", encoding="utf-8") as f:
    patients = [
        Patient(r["id"], r["birth_name"], r["used_name"], tuple(r["given_names"].split()),
                datetime.date.fromisoformat(r["birth_date"]) if r["birth_date"] else None, r["sex"], r["ins"])
        for r in csv.DictReader(f)
    ]
peer = NaivePeer(patients)
for path in sorted(Path(sys.argv[3]).iterdir())[: int(sys.argv[4])]:
    for doc in read_document(path.read_bytes(), path.name).documents:
        print(path.name, peer.match(doc.identity))
"""


def _peer(root: Path, csv_path: Path, folder: Path, count: int) -> list[str]:
    """The naive peer as a command: load the patient list (CSV), read the first ``count`` files of ``folder``
    (with missive's readers), score every patient for each."""
    return [sys.executable, "-c", _PEER, str(root), str(csv_path), str(folder), str(count)]


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a command to its end: its wall time and its own CPU-seconds (user + system, from wait4 on the
    child: other work on a shared machine stretches the wall time much more than the child's CPU time)."""
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
        else:  # no wait4 (Windows): the wall time stands for both
            proc.wait()
            elapsed = cpu = time.perf_counter() - start
        if proc.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace")[-400:]
            raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {tail}")
    return elapsed, cpu


def _write_csv(path: Path, patients: list[Patient]) -> None:
    import csv
    import os

    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "birth_name", "used_name", "given_names", "birth_date", "sex", "ins"])
        for p in patients:
            out.writerow(
                [p.id, p.birth_name, p.used_name, " ".join(p.given_names),
                 p.birth_date.isoformat() if p.birth_date else "", p.sex, p.ins or ""]
            )  # fmt: skip


def _letter(path: Path, number: int) -> bytes:
    """A lab's letter carrying one result file (plain MIME: the hook's path, without S/MIME's cost)."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "labo@labo.mssante.fr"
    msg["To"] = "medecin@cabinet.mssante.fr"
    msg["Subject"] = "Resultats"
    msg["Message-ID"] = f"<bench-{number}@labo.mssante.fr>"
    msg["Date"] = "Sat, 10 Jan 2026 10:15:00 +0100"
    msg.set_content("Veuillez trouver ci-joint les resultats.")
    subtype = "hprim" if path.suffix == ".hpr" else "hl7-v2"
    msg.add_attachment(path.read_bytes(), maintype="application", subtype=subtype, filename=path.name)
    return msg.as_bytes()


def _hook_once(folder: Path, letters: list[bytes]) -> tuple[float, float]:
    """Wall and CPU seconds for a freshly opened profile to store ``letters`` as a sync does (each analysed: its result
    read, matched, filed or queued). The profile's documents and letters are put back afterwards."""
    import shutil

    from core.mailroom import Mailroom

    work = folder.with_name(folder.name + "-hook")
    lgc = folder.with_name(folder.name + "-lgc")  # the practice software's import folder: a doctor's set-up
    for old in (work, lgc):
        if old.exists():
            shutil.rmtree(old)
    shutil.copytree(folder, work)
    settings = work / "profile.toml"
    text = settings.read_text("utf-8").replace('folder = ""', f'folder = "{lgc}"', 1)
    settings.write_text(text.replace("allow = []", 'allow = ["labo.mssante.fr"]', 1), "utf-8")  # the lab known
    try:
        room = Mailroom.open(work, PASSPHRASE)
        start, cpu = time.perf_counter(), time.process_time()
        metas = [room.on_new_message(raw, f"bench/{i}", folder="INBOX", role="inbox") for i, raw in enumerate(letters)]
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if any(meta.get("documents") != 1 for meta in metas):  # each letter's result read and matched
            raise SystemExit("sync hook: a letter's result was not read")
        if len(letters) > 1 and not room.documents.filed():  # the filing itself is on the measured path
            raise SystemExit("sync hook: no result was filed automatically")
        return elapsed, cpu
    finally:
        shutil.rmtree(work)
        shutil.rmtree(lgc, ignore_errors=True)


Timings = dict[tuple[str, int, int], tuple[float, float]]  # (who, size, files) -> best (wall, cpu) seconds


def _k(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def bench_cli(sizes: list[int], docs: int, runs: int = 3, rounds: int = 3) -> list[float]:
    """``missive match FILE...`` as a user runs it, per size: N files and one file timed in interleaved
    rounds (best of ``rounds`` each), the cost per document (t_N - t_1) / (N - 1) in the child's CPU time and
    in wall time; the naive peer the same way. Repeated ``runs`` times; prints each run's 100k/1k ratios and
    their medians (the target's verdict reads the CPU time's, which other work on a shared machine disturbs
    least). Returns missive's ratios in CPU time."""
    import os
    import tempfile

    os.environ["MISSIVE_KDF"] = "floor"
    env = {**os.environ, "MISSIVE_PASSPHRASE": PASSPHRASE, "MISSIVE_KDF": "floor", "LANG": "fr_FR.UTF-8"}
    from core.mailroom import Mailroom

    root = Path(__file__).resolve().parent.parent
    population = make_patients(max(sizes), seed=11)
    for_docs = _document_patients(population[: min(sizes)], docs, seed=12)
    ratios: list[float] = []
    wall_ratios: list[float] = []
    peer_ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        many = Path(tmp) / "documents"
        _write_documents(many, for_docs, seed=13)
        one = Path(tmp) / "one"
        _write_documents(one, for_docs[:1], seed=13)
        # the peer is linear in the patients: fewer documents at the larger sizes (as bench_matching does)
        peer_docs = {n: min(docs, max(20, 2_000_000 // n)) for n in sizes}
        folders: dict[int, Path] = {}
        csvs: dict[int, Path] = {}
        for n in sorted(sizes):
            folders[n] = Path(tmp) / f"p{n}"
            start = time.perf_counter()
            room = Mailroom.create(folders[n], PASSPHRASE)
            room.profile.collection("patients").put_many({p.id: p.to_json() for p in population[:n]})
            room.patients.index()
            csvs[n] = Path(tmp) / f"patients{n}.csv"
            _write_csv(csvs[n], population[:n])
            print(f"cli {n:>7} patients: profile built in {time.perf_counter() - start:.1f} s")
        print(f"cli: {docs} lab results (HPRIM Net and HL7, 80% for registry patients, 20% strangers)")
        inf = (float("inf"), float("inf"))
        for run in range(1, runs + 1):
            best: Timings = {}
            for _ in range(rounds):
                for n, folder in folders.items():
                    command = _missive("--profile", str(folder), "match")
                    for key, argv in (
                        (("missive", n, docs), [*command, str(many)]),
                        (("missive", n, 1), [*command, str(one)]),
                        (("peer", n, peer_docs[n]), _peer(root, csvs[n], many, peer_docs[n])),
                        (("peer", n, 1), _peer(root, csvs[n], many, 1)),
                    ):
                        wall, cpu = _run(argv, env)
                        low_wall, low_cpu = best.get(key, inf)
                        best[key] = (min(low_wall, wall), min(low_cpu, cpu))

            def per_doc(who: str, n: int, files: int, which: int, best: Timings = best) -> float:
                """Seconds per document beyond the first: ``which`` 0 for wall time, 1 for CPU time."""
                return (best[(who, n, files)][which] - best[(who, n, 1)][which]) / (files - 1)

            where = f" (run {run} of {runs})" if runs > 1 else ""
            for n in folders:
                m_wall, m_cpu = best[("missive", n, docs)]
                o_wall, o_cpu = best[("missive", n, 1)]
                print(
                    f"missive match {n:>7} patients{where}: {per_doc('missive', n, docs, 1) * 1e3:.3f} ms CPU/doc, "
                    f"{per_doc('missive', n, docs, 0) * 1e3:.3f} ms wall/doc ({docs} files {m_cpu:.2f} s CPU "
                    f"{m_wall:.2f} s wall, 1 file {o_cpu:.2f} s CPU {o_wall:.2f} s wall); naive peer "
                    f"{per_doc('peer', n, peer_docs[n], 1) * 1e3:.3f} ms CPU/doc, "
                    f"{per_doc('peer', n, peer_docs[n], 0) * 1e3:.3f} ms wall/doc ({peer_docs[n]} files)"
                )
            lo, hi = min(folders), max(folders)
            ratios.append(per_doc("missive", hi, docs, 1) / per_doc("missive", lo, docs, 1))
            wall_ratios.append(per_doc("missive", hi, docs, 0) / per_doc("missive", lo, docs, 0))
            peer_ratios.append(per_doc("peer", hi, peer_docs[hi], 1) / per_doc("peer", lo, peer_docs[lo], 1))
            print(
                f"missive match time per document, {_k(hi)}/{_k(lo)} ratio{where}: {ratios[-1]:.2f} in CPU time, "
                f"{wall_ratios[-1]:.2f} in wall time (target <= 1.5); naive peer {peer_ratios[-1]:.2f} in CPU time"
            )
        # the sync hook: letters carrying one result each, stored by a freshly opened profile
        hook_docs = min(docs, 100)
        letters = [_letter(path, i) for i, path in enumerate(sorted(many.iterdir())[:hook_docs])]
        hook: dict[tuple[int, int], tuple[float, float]] = {}
        for _ in range(rounds):
            for n, folder in folders.items():
                for count in (hook_docs, 1):
                    wall, cpu = _hook_once(folder, letters[:count])
                    low_wall, low_cpu = hook.get((n, count), inf)
                    hook[(n, count)] = (min(low_wall, wall), min(low_cpu, cpu))

        def per_letter(n: int, which: int) -> float:
            return (hook[(n, hook_docs)][which] - hook[(n, 1)][which]) / (hook_docs - 1)

        for n in folders:
            print(
                f"sync hook {n:>7} patients: {per_letter(n, 1) * 1e3:.2f} ms CPU/letter, {per_letter(n, 0) * 1e3:.2f} "
                f"ms wall/letter ({hook_docs} letters, a result each)"
            )
        lo, hi = min(folders), max(folders)
        print(
            f"sync hook time per letter, {_k(hi)}/{_k(lo)} ratio: {per_letter(hi, 1) / per_letter(lo, 1):.2f} in CPU "
            f"time, {per_letter(hi, 0) / per_letter(lo, 0):.2f} in wall time"
        )
    if ratios:
        verdict = "met" if statistics.median(ratios) <= 1.5 else "NOT met"
        print(
            f"missive match time per document, {_k(max(sizes))}/{_k(min(sizes))} ratio, median of "
            f"{len(ratios)} runs: {statistics.median(ratios):.2f} in CPU time (target <= 1.5: {verdict}; runs: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f"), {statistics.median(wall_ratios):.2f} in wall time (runs: "
            + ", ".join(f"{r:.2f}" for r in wall_ratios)
            + f"); naive peer {statistics.median(peer_ratios):.2f} in CPU time"
        )
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="patient counts, comma-separated")
    parser.add_argument("--docs", type=int, default=2000, help="documents matched per size")
    parser.add_argument("--files", type=int, default=500, help="files per format for the readers")
    parser.add_argument("--runs", type=int, default=1, help="repeat the stored index's measure; the median ratio")
    parser.add_argument(
        "--stored-only", action="store_true", help="only the stored index (the path of missive match)"
    )
    parser.add_argument(
        "--cli", action="store_true", help="only `missive match FILE...` as a user runs it, and the sync hook"
    )
    parser.add_argument("--rounds", type=int, default=3, help="with --cli: interleaved rounds, the best kept")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.cli:
        docs = args.docs if args.docs != parser.get_default("docs") else 1000
        if docs < 2:
            parser.error("--docs must be at least 2 with --cli")
        if args.rounds < 1:
            parser.error("--rounds must be at least 1")
        bench_cli([int(s) for s in args.sizes.split(",")], docs, runs=args.runs, rounds=args.rounds)
        return 0
    if not args.stored_only:
        bench_readers(args.files)
        bench_matching([int(s) for s in args.sizes.split(",")], args.docs)
    bench_stored([int(s) for s in args.sizes.split(",")], args.docs, runs=args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
