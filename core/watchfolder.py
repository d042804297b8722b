"""The watched outbox folder: reports dropped by the practice software are sent without retyping.

The practice software (or a script) drops into the folder a report and a JSON *sidecar* next to it:

    CR_2024_0042.pdf            the report: a PDF, or an HPRIM / HL7 / text file
    CR_2024_0042.pdf.json       the sidecar (``CR_2024_0042.json`` is accepted too)

Sidecar format (UTF-8 JSON object)::

    {
      "to": ["dr.martin@exemple.mssante.fr"],    required: one or more addresses
      "cc": [],                                   optional
      "subject": "Compte rendu de consultation",  required
      "body": "Cher confrère, ...",               optional, the text of the mail
      "patient_id": "12345",                      the patient's id in the practice software (needed for xdm)
      "xdm": true,                                optional: also attach an IHE_XDM.ZIP with a CDA of the report
      "account": "cabinet"                        optional: the missive account to send from
      "document_id": "CR-2024-0042",              optional: the practice software's id of this report (xdm)
      "replaces": "CR-2024-0041"                  optional: "annule et remplace" that earlier report (xdm)
    }

One missive scans the folder at a time (a lock on the hidden file ``.missive-scan.lock`` in it): a second
daemon of the profile waits for the next round instead of sending the pairs the first is sending. A folder
belongs to one profile (the hidden file ``.missive-profile``, 0600, names it by a mark derived from its key):
another profile set to the same folder (a second doctor on the same PC) sends nothing from it and says so,
since a report dropped for one doctor would otherwise leave from the other's address, signed by the other,
with the other named as the author of its CDA.

A pair is taken only when complete: the sidecar and the report both exist and neither has changed for
``settle_seconds`` (or since the previous scan), so a file still being copied is never sent half-written.
Write the sidecar last. After sending, both files move to ``sent/`` (handed to missive's durable outbox:
accepted, or queued and retried by it); when something is wrong they move to ``failed/`` with
``<report>.error.txt`` saying why. Reasons name files and keys, never the content of the report.

Anyone who can write into the folder must not make missive send another file: each file is opened once,
without following a symbolic link, checked on the open descriptor (a regular file with one name, the very
file the scan saw, within its size limit) and read from that descriptor. ``sent/`` and ``failed/`` must be
real folders (a symbolic link there stops the scan before anything is sent); files are moved into them and
``.error.txt`` written there without ever replacing or following what is already there. One pair's trouble,
whatever it is, moves that pair to ``failed/`` and the scan goes on with the next.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import re
import stat
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import BadInput, MissiveError, os_reason
from core.model import Attachment, Draft, Identity, Patient
from core.text import T, Text

log = logging.getLogger("missive.watchfolder")

SENT = "sent"
FAILED = "failed"
SIDECAR_KEYS = {"to", "cc", "subject", "body", "patient_id", "xdm", "account", "document_id", "replaces"}
SENT_DOCUMENTS = "xdm_documents"  # document_id -> the XDS entry id it was sent under (for corrections)
MAX_REPORT = 50 * 1024 * 1024
MAX_SIDECAR = 1024 * 1024  # a letter's text and a few addresses; checked before reading
MAX_SIDECAR_DEPTH = 4  # the format nests two levels (an object holding lists)
ORPHAN_SECONDS = 3600.0  # a sidecar whose report never comes is set aside after an hour
INS_NIR_OID = "1.2.250.1.213.1.4.8"

Send = Callable[[Draft], Awaitable[Any]]


@dataclass
class WatchReport:
    """What one scan did: file names sent and failed, pairs still incomplete."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: int = 0


@dataclass(frozen=True)
class Sidecar:
    to: tuple[str, ...]
    subject: str
    body: str = ""
    cc: tuple[str, ...] = ()
    patient_id: str | None = None
    xdm: bool = False
    account: str | None = None
    document_id: str | None = None
    replaces: str | None = None


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSON_NESTING = re.compile(r"[\[\]{}]")


def _nesting(text: str) -> int:
    """How deep arrays and objects nest in JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for match in _JSON_NESTING.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_sidecar(data: bytes, name: str) -> Sidecar:
    """Read and check a sidecar; BadInput with a reason a person can act on."""
    if len(data) > MAX_SIDECAR:
        raise BadInput(T("watchfolder.depasse-fichier-json-porte", name=name))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(T("watchfolder.texte-utf-enregistrez-fichier", name=name)) from None
    if _nesting(text) > MAX_SIDECAR_DEPTH:
        raise BadInput(T("watchfolder.imbrique-trop-format-attend", name=name))
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            T("watchfolder.json-valide-ligne-colonne", name=name, lineno=exc.lineno, colno=exc.colno)
        ) from None
    except RecursionError:
        raise BadInput(T("watchfolder.imbrique-trop-format-attend", name=name)) from None
    if not isinstance(obj, dict):
        raise BadInput(T("watchfolder.doit-contenir-objet-json", name=name))
    unknown = sorted(set(obj) - SIDECAR_KEYS)
    if unknown:
        raise BadInput(
            T(
                "watchfolder.cle-inconnue-cles-connues",
                name=name,
                unknown=unknown[0],
                join=", ".join(sorted(SIDECAR_KEYS)),
            )
        )
    to = _addresses(obj.get("to"), name, "to", required=True)
    cc = _addresses(obj.get("cc", []), name, "cc", required=False)
    subject = obj.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise BadInput(T("watchfolder.subject-absent-vide", name=name))
    # every line end (the email package refuses VT, FF, NEL, U+2028... too: 'non envoyé (ValueError)') and NUL
    if "\0" in subject or len((subject + ".").splitlines()) > 1 or len(subject) > 900:
        raise BadInput(T("watchfolder.subject-doit-tenir-ligne", name=name))
    body = obj.get("body", "")
    if not isinstance(body, str):
        raise BadInput(T("watchfolder.body-doit-etre-texte", name=name))
    patient_id = obj.get("patient_id")
    if patient_id is not None and (not isinstance(patient_id, str | int) or isinstance(patient_id, bool)):
        raise BadInput(T("watchfolder.patient-doit-etre-texte", name=name))
    xdm = obj.get("xdm", False)
    if not isinstance(xdm, bool):
        raise BadInput(T("watchfolder.xdm-doit-valoir-true", name=name))
    if xdm and not (patient_id is not None and str(patient_id).strip()):
        raise BadInput(T("watchfolder.xdm-exige-patient-cda", name=name))
    account = obj.get("account")
    if account is not None and not isinstance(account, str):
        raise BadInput(T("watchfolder.account-doit-etre-texte", name=name))
    ids: dict[str, str | None] = {}
    for key in ("document_id", "replaces"):
        value = obj.get(key)
        if value is not None and (
            not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip()
        ):
            raise BadInput(T("watchfolder.id-document-texte", name=name, key=key))
        ids[key] = str(value).strip() if value is not None else None
    if ids["replaces"] and not xdm:
        raise BadInput(T("watchfolder.replaces-exige-xdm", name=name))
    return Sidecar(
        to=to,
        subject=subject.strip(),
        body=body,
        cc=cc,
        patient_id=str(patient_id).strip() if patient_id is not None else None,
        xdm=xdm,
        account=account or None,
        document_id=ids["document_id"],
        replaces=ids["replaces"],
    )


def _addresses(value: Any, name: str, key: str, required: bool) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if value is None or not isinstance(value, list) or (required and not value):
        raise BadInput(T("watchfolder.doit-etre-liste-adresses", name=name, key=key))
    out = []
    for address in value:
        if (
            not isinstance(address, str)
            or address.count("@") != 1
            or any(c.isspace() for c in address.strip())
        ):
            raise BadInput(T("watchfolder.contient-autre-chose-adresse", name=name, key=key))
        local, domain = address.strip().split("@")
        if not local or "." not in domain:
            raise BadInput(T("watchfolder.contient-autre-chose-adresse", name=name, key=key))
        out.append(address.strip())
    return tuple(out)


def _content_type(data: bytes, name: str) -> str:
    from core.clinical.readers import detect_format

    kind = detect_format(data[:65536], name)
    return {
        "pdf": "application/pdf",
        "hprim-net": "text/plain",
        "hprim-2": "text/plain",
        "hl7v2": "application/hl7-v2",
        "cda": "text/xml",
        "xdm": "application/zip",
    }.get(kind or "", "application/octet-stream")


def patient_identity(patient: Patient) -> Identity:
    """The identity a CDA states for a patient of the practice (the INS taken as a NIR-based INS)."""
    return Identity(
        family_name=patient.used_name or patient.birth_name,
        birth_name=patient.birth_name,
        given_names=patient.given_names,
        birth_date=patient.birth_date,
        sex=patient.sex,
        ins=patient.ins,
        ins_oid=INS_NIR_OID if patient.ins else None,
        source_id=patient.id,
    )


# held while a scan sends, so that two missive processes watching one folder never send a pair twice
SCAN_LOCK = ".missive-scan.lock"
OWNER_FILE = ".missive-profile"  # the profile the folder belongs to (``WatchFolder.owner``), hidden, 0600
_BUSY = -1
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in must not block the open
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_AT = os.open in os.supports_dir_fd and os.link in os.supports_dir_fd  # POSIX; Windows uses paths


class _Folder:
    """A folder opened once: every name is looked up relative to this descriptor, never through a path
    that could be swapped for a link in the meantime."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def open(cls, path: Path) -> _Folder:
        if not _AT:
            return cls(path, None)
        return cls(path, os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _name(self, name: str) -> str:
        return name if self.fd is not None else str(self.path / name)

    def entries(self) -> dict[str, os.stat_result]:
        """Regular files of the folder as the scan sees them (links, folders and others are left alone)."""
        out = {}
        with os.scandir(self.fd if self.fd is not None else self.path) as scan:
            for entry in scan:
                if entry.name.startswith(".") or _is_temporary(entry.name):
                    continue
                try:
                    if entry.is_file(follow_symlinks=False):
                        out[entry.name] = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # gone since the listing
        return out

    def read(self, name: str, seen: os.stat_result, limit: int, too_big: Text) -> bytes:
        """The file's bytes, read from one descriptor that is checked to be the file the scan saw."""
        try:
            fd = os.open(
                self._name(name),
                os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC,
                dir_fd=self.fd,
            )
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise BadInput(T("watchfolder.devenu-lien-symbolique-deposez", name=name)) from None
            raise
        try:
            now = os.fstat(fd)
            if not stat.S_ISREG(now.st_mode):
                raise BadInput(T("watchfolder.fichier-ordinaire-deposez-fichier", name=name))
            # ctime too: a file made anew may get the freed inode number, but never the old change time
            if _identity(now) != _identity(seen):
                raise BadInput(T("watchfolder.ete-remplace-pendant-traitement", name=name))
            if now.st_nlink > 1:
                raise BadInput(T("watchfolder.porte-plusieurs-noms-lien", name=name))
            if now.st_size > limit:
                raise BadInput(too_big)
            chunks: list[bytes] = []
            total = 0
            while True:
                chunk = os.read(fd, min(1024 * 1024, limit + 1 - total))
                if not chunk:
                    return b"".join(chunks)
                total += len(chunk)
                if total > limit:  # grew after the check
                    raise BadInput(too_big)
                chunks.append(chunk)
        finally:
            os.close(fd)

    def scan_lock(self) -> int | None:
        """Hold the folder's scan lock (``SCAN_LOCK``, a hidden file the scan leaves alone): its descriptor,
        ``_BUSY`` when another process holds it, None where no lock can be taken (Windows, a share without
        locks: the scan goes on as before)."""
        try:
            import fcntl
        except ImportError:
            return None
        try:
            fd = os.open(
                self._name(SCAN_LOCK),
                os.O_RDWR | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC,
                0o600,
                dir_fd=self.fd,
            )
        except OSError as exc:
            log.info("watched folder: no scan lock (%s)", os_reason(exc))
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return _BUSY
        except OSError as exc:
            os.close(fd)
            log.info("watched folder: no scan lock (%s)", os_reason(exc))
            return None
        return fd

    def claim(self, owner: str) -> None:
        """The folder is ``owner``'s (a profile's mark): written at the first scan (0600, never replacing a
        file), then checked at each; BadInput naming the marker when another profile's (or one this user
        cannot read: another user's) is there."""
        flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC
        refused = BadInput(T("watchfolder.other-profile", folder=self.path, marker=self.path / OWNER_FILE))
        for _attempt in range(3):
            try:
                fd = os.open(self._name(OWNER_FILE), flags, dir_fd=self.fd)
            except FileNotFoundError:
                try:
                    fd = os.open(
                        self._name(OWNER_FILE),
                        os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                        0o600,
                        dir_fd=self.fd,
                    )
                except FileExistsError:
                    continue  # another profile wrote it meanwhile: read it
                try:
                    os.write(fd, owner.encode("ascii") + b"\n")
                finally:
                    os.close(fd)
                log.info("watched folder: now this profile's")
                return
            except OSError:
                raise refused from None  # another user's (unreadable), or a link
            try:
                mark = os.read(fd, 256).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            if mark != owner:
                log.warning("watched folder: another profile's; nothing sent from it")
                raise refused
            return
        raise refused

    def subfolder(self, name: str) -> _Folder:
        """``sent/`` or ``failed/``, created 0700 when missing; a link or a file there is refused."""
        try:
            os.mkdir(self._name(name), 0o700, dir_fd=self.fd)
        except FileExistsError:
            pass
        refused = BadInput(T("watchfolder.vrai-dossier-lien-symbolique", value=self.path / name))
        if self.fd is None:
            target = self.path / name
            if target.is_symlink() or not target.is_dir():
                raise refused
            return _Folder(target, None)
        try:
            fd = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise refused from None
            raise
        return _Folder(self.path / name, fd)

    def move_into(self, name: str, into: _Folder) -> str | None:
        """Move ``name`` into ``into`` under a name not taken there (never replacing); the new name."""
        for target in _free_names(name):
            try:
                if into.fd is not None and self.fd is not None:
                    # a new name for the entry itself (a link stays a link), failing if taken
                    os.link(name, target, src_dir_fd=self.fd, dst_dir_fd=into.fd, follow_symlinks=False)
                    os.unlink(name, dir_fd=self.fd)
                else:
                    if os.path.lexists(into.path / target):
                        continue
                    os.replace(self.path / name, into.path / target)
                return target
            except FileExistsError:
                continue
            except FileNotFoundError:
                return None
        return None

    def write_new(self, name: str, data: bytes) -> str:
        """Write a new file 0600 under ``name`` or a free variant; never through or over what is there."""
        stem, dot, ext = name.rpartition(".")
        for candidate in (name, *(f"{stem}.{n}{dot}{ext}" for n in range(2, 1000))):
            try:
                fd = os.open(
                    self._name(candidate),
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                    0o600,
                    dir_fd=self.fd,
                )
            except FileExistsError:
                continue
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            return candidate
        raise BadInput(T("watchfolder.encombre-videz", path=self.path))


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _free_names(name: str) -> Iterator[str]:
    yield name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    for counter in range(2, 1000):
        yield f"{stem}.{counter}.{ext}" if dot else f"{stem}.{counter}"


class WatchFolder:
    """Scan ``folder`` for complete report + sidecar pairs and send each through ``send``.

    ``patients(patient_id) -> Patient`` and ``author`` (a ``CdaAuthor``) are needed only for ``xdm``.
    """

    def __init__(
        self,
        folder: Path,
        send: Send,
        *,
        patients: Callable[[str], Patient] | None = None,
        author: Any = None,
        sent_documents: Any = None,
        settle_seconds: float = 2.0,
        orphan_seconds: float = ORPHAN_SECONDS,
        clock: Callable[[], float] = time.time,
        owner: str | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.owner = owner  # the profile's mark: the folder is claimed for it (None: not checked)
        self.send = send
        self.patients = patients
        self.author = author
        self.sent_documents = sent_documents  # a Collection: document_id -> entry id, for corrections
        self.settle_seconds = settle_seconds
        self.orphan_seconds = orphan_seconds
        self.clock = clock
        self._last_seen: dict[str, tuple[int, int, int, int]] = {}

    # ------------------------------------------------------------------ scanning
    async def scan(self) -> WatchReport:
        """Send every complete pair once; leave incomplete ones for the next scan."""
        if not self.folder.is_dir():
            raise BadInput(T("watchfolder.dossier-surveille-existe-creez", folder=self.folder))
        folder = _Folder.open(self.folder)
        lock: int | None = None
        try:
            lock = folder.scan_lock()
            if lock == _BUSY:
                # another missive (a second daemon of the profile, another profile set to this folder) is
                # sending from it: the pairs it holds would be sent twice; they are its own this round
                log.info("watched folder: another missive is scanning it, next round")
                return WatchReport()
            if self.owner is not None:
                folder.claim(self.owner)  # another profile's folder: nothing is sent from it
            # before anything is sent: a pair sent but not movable would be sent again at the next scan
            sent, failed = folder.subfolder(SENT), folder.subfolder(FAILED)
            try:
                return await self._scan(folder, sent, failed)
            finally:
                sent.close()
                failed.close()
        finally:
            if lock is not None and lock >= 0:
                os.close(lock)  # the lock goes with its descriptor
            folder.close()

    async def _scan(self, folder: _Folder, sent: _Folder, failed: _Folder) -> WatchReport:
        report = WatchReport()
        files = folder.entries()
        seen_now = {n: (s.st_size, s.st_mtime_ns, s.st_dev, s.st_ino) for n, s in files.items()}
        previous, self._last_seen = self._last_seen, seen_now
        for sidecar_name in sorted(n for n in files if n.lower().endswith(".json")):
            report_name: str | None = None
            try:
                report_name, problem = _report_for(sidecar_name, files)
                if not self._stable(sidecar_name, seen_now, previous):
                    report.waiting += 1
                    continue
                if problem:
                    self._fail(folder, failed, sidecar_name, None, problem, report)
                    continue
                if report_name is None:
                    age = self.clock() - seen_now[sidecar_name][1] / 1e9
                    if age >= self.orphan_seconds:
                        reason = f"aucun compte rendu à côté de {sidecar_name}"
                        self._fail(folder, failed, sidecar_name, None, reason, report)
                    else:
                        report.waiting += 1
                    continue
                if not self._stable(report_name, seen_now, previous):
                    report.waiting += 1
                    continue
                await self._process(folder, sent, failed, files, sidecar_name, report_name, report)
            except Exception as exc:  # noqa: BLE001 - one pair's trouble never stops the folder
                log.warning("watched folder: a pair failed unexpectedly (%s)", type(exc).__name__)
                try:
                    reason = f"erreur inattendue ({type(exc).__name__}) : signalez-la"
                    self._fail(folder, failed, sidecar_name, report_name, reason, report)
                except Exception as again:  # noqa: BLE001
                    log.error("watched folder: a pair could not be set aside (%s)", type(again).__name__)
        return report

    def _stable(
        self,
        name: str,
        now: dict[str, tuple[int, int, int, int]],
        before: dict[str, tuple[int, int, int, int]],
    ) -> bool:
        """Unchanged since the previous scan, or untouched for ``settle_seconds``."""
        if before.get(name) == now[name]:
            return True
        return self.clock() - now[name][1] / 1e9 >= self.settle_seconds

    # ------------------------------------------------------------------ one pair
    async def _process(
        self,
        folder: _Folder,
        sent: _Folder,
        failed: _Folder,
        files: dict[str, os.stat_result],
        sidecar_name: str,
        report_name: str,
        report: WatchReport,
    ) -> None:
        try:
            sidecar = folder.read(
                sidecar_name,
                files[sidecar_name],
                MAX_SIDECAR,
                T("watchfolder.depasse-fichier-json-porte", name=sidecar_name),
            )
            meta = parse_sidecar(sidecar, sidecar_name)
            data = folder.read(
                report_name,
                files[report_name],
                MAX_REPORT,
                T("watchfolder.depasse-trop-gros-mssante", report_name=report_name),
            )
            draft = self.draft(meta, report_name, data)
        except MissiveError as exc:
            self._fail(folder, failed, sidecar_name, report_name, str(exc), report)
            return
        except OSError as exc:
            reason = f"impossible de lire les fichiers ({os_reason(exc)})"
            self._fail(folder, failed, sidecar_name, report_name, reason, report)
            return
        try:
            await self.send(draft)
        except MissiveError as exc:
            from core.mail.send import NotSent

            if isinstance(exc, NotSent) and not exc.permanent:
                # Queued in the durable outbox, which retries on its own: sending it again would duplicate.
                log.info("watched folder: a report queued in the outbox (%s)", type(exc).__name__)
            else:
                self._fail(folder, failed, sidecar_name, report_name, f"non envoyé : {exc}", report)
                return
        except Exception as exc:  # noqa: BLE001 - one bad pair must not stop the folder
            self._fail(
                folder, failed, sidecar_name, report_name, f"non envoyé ({type(exc).__name__})", report
            )
            return
        folder.move_into(report_name, sent)
        folder.move_into(sidecar_name, sent)
        report.sent.append(report_name)
        log.info("watched folder: a report sent")

    def draft(self, meta: Sidecar, report_name: str, data: bytes) -> Draft:
        """The Draft for one pair: the report attached, plus an XDM package when asked."""
        if not data:
            raise BadInput(T("watchfolder.vide", report_name=report_name))
        if len(data) > MAX_REPORT:
            raise BadInput(T("watchfolder.depasse-trop-gros-mssante", report_name=report_name))
        content_type = _content_type(data, report_name)
        attachments = [Attachment(report_name, content_type, data)]
        headers: tuple[tuple[str, str], ...] = ()
        if meta.xdm:
            package = self._xdm(meta, data, content_type)
            attachments.append(Attachment(package.filename, "application/zip", package.data))
            headers = package.headers
        return Draft(
            to=meta.to,
            cc=meta.cc,
            subject=meta.subject,
            body=meta.body,
            attachments=tuple(attachments),
            account=meta.account,
            extra_headers=headers,
        )

    def _xdm(self, meta: Sidecar, data: bytes, content_type: str) -> Any:
        from core.clinical.xdm_writer import letter_package

        if self.author is None:
            raise BadInput(T("watchfolder.xdm-demande-mais-aucun"))
        if self.patients is None:
            raise BadInput(T("watchfolder.xdm-demande-mais-aucune"))
        assert meta.patient_id is not None
        patient = self.patients(meta.patient_id)  # NotFound names the id only
        identity = patient_identity(patient)
        replaces = ""
        if meta.replaces:  # "annule et remplace": the XDS entry the earlier report was sent under
            known = self.sent_documents.get(_document_key(meta.replaces)) if self.sent_documents else None
            if not known:
                raise BadInput(T("watchfolder.replaces-inconnu", replaces=meta.replaces))
            replaces = str(known.get("entry_uuid", ""))
        if content_type == "application/pdf":
            package = letter_package(identity, self.author, title=meta.subject, pdf=data, replaces=replaces)
        else:
            from core.clinical.encoding import decode_text

            package = letter_package(
                identity, self.author, title=meta.subject, text=decode_text(data), replaces=replaces
            )
        if meta.document_id and self.sent_documents is not None:
            self.sent_documents.put(_document_key(meta.document_id), {"entry_uuid": package.entry_uuids[0]})
        return package

    def _fail(
        self,
        folder: _Folder,
        failed: _Folder,
        sidecar_name: str,
        report_name: str | None,
        reason: str,
        report: WatchReport,
    ) -> None:
        moved = folder.move_into(report_name, failed) if report_name is not None else None
        moved_sidecar = folder.move_into(sidecar_name, failed)
        label = moved or moved_sidecar or report_name or sidecar_name
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        failed.write_new(f"{label}.error.txt", f"{stamp}\n{reason}\n".encode())
        report.failed.append(label)
        log.warning("watched folder: a pair set aside in failed/")


def _is_temporary(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".tmp", ".part", ".partial", ".crdownload", "~", ".error.txt"))


def _report_for(sidecar: str, files: dict[str, Any]) -> tuple[str | None, str | None]:
    """(report name, problem) for a sidecar: ``X.pdf.json`` → ``X.pdf``, else the one ``X.*`` file."""
    base = sidecar[: -len(".json")]
    if base in files and not base.lower().endswith(".json"):
        return base, None
    matches = [
        n for n in files if not n.lower().endswith(".json") and n.rsplit(".", 1)[0] == base and n != sidecar
    ]
    if len(matches) > 1:
        return (
            None,
            f"plusieurs comptes rendus nommés {base}.* à côté de {sidecar} : "
            "gardez un seul compte rendu par fichier .json",
        )
    return (matches[0], None) if matches else (None, None)


def _document_key(document_id: str) -> str:
    import hashlib

    return "x-" + hashlib.sha256(document_id.encode("utf-8")).hexdigest()[:24]


def profile_mark(profile: Any) -> str:
    """What names a profile in the folders it claims: derived from its data key (the same whatever the
    passphrase, different for every profile), it says nothing of the key nor of the doctor."""
    return profile.vault.subkey(b"watched-folder-owner")[:12].hex()


def watch_task(mailroom: Any) -> Callable[[], Awaitable[None]] | None:
    """A periodic task for ``missive daemon`` when ``[watch] folder`` is set (None otherwise)."""
    folder = str(getattr(getattr(mailroom.settings, "watch", None), "folder", "") or "").strip()
    if not folder:
        return None
    patients = getattr(mailroom, "patients", None)
    watcher = WatchFolder(
        Path(folder).expanduser(),
        mailroom.send,
        patients=patients.get if patients is not None else None,
        author=getattr(mailroom, "cda_author", None),
        sent_documents=mailroom.profile.collection(SENT_DOCUMENTS) if hasattr(mailroom, "profile") else None,
        owner=profile_mark(mailroom.profile) if hasattr(mailroom, "profile") else None,
    )

    async def watched_folder() -> None:
        result = await watcher.scan()
        if result.sent or result.failed:
            log.info("watched folder: %d sent, %d failed", len(result.sent), len(result.failed))
        if result.failed:  # said where someone sees it (the daemon's terminal); a count, never a file name
            from core.events import TaskTrouble

            said = T("watchfolder.set-aside", count=len(result.failed), folder=watcher.folder / FAILED)
            emit = getattr(mailroom, "emit", None)
            if emit is not None:
                emit(TaskTrouble("watched_folder", str(said)))

    return watched_folder


__all__ = ["FAILED", "SENT", "Sidecar", "WatchFolder", "WatchReport", "parse_sidecar", "watch_task"]
