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
    }

A pair is taken only when complete: the sidecar and the report both exist and neither has changed for
``settle_seconds`` (or since the previous scan), so a file still being copied is never sent half-written.
Write the sidecar last. After sending, both files move to ``sent/`` (handed to missive's durable outbox:
accepted, or queued and retried by it); when something is wrong they move to ``failed/`` with
``<report>.error.txt`` saying why. Reasons name files and keys, never the content of the report.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import BadInput, MissiveError, os_reason
from core.model import Attachment, Draft, Identity, Patient

log = logging.getLogger("missive.watchfolder")

SENT = "sent"
FAILED = "failed"
SIDECAR_KEYS = {"to", "cc", "subject", "body", "patient_id", "xdm", "account"}
MAX_REPORT = 50 * 1024 * 1024
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


def parse_sidecar(data: bytes, name: str) -> Sidecar:
    """Read and check a sidecar; BadInput with a reason a person can act on."""
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadInput(f"{name} n'est pas un texte UTF-8 : enregistrez le fichier .json en UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{name} n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno})") from None
    if not isinstance(obj, dict):
        raise BadInput(f"{name} doit contenir un objet JSON {{...}}")
    unknown = sorted(set(obj) - SIDECAR_KEYS)
    if unknown:
        raise BadInput(
            f"{name} : clé {unknown[0]!r} inconnue (clés connues : {', '.join(sorted(SIDECAR_KEYS))})"
        )
    to = _addresses(obj.get("to"), name, "to", required=True)
    cc = _addresses(obj.get("cc", []), name, "cc", required=False)
    subject = obj.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise BadInput(f"{name} : 'subject' est absent ou vide")
    if "\n" in subject or "\r" in subject or len(subject) > 900:
        raise BadInput(f"{name} : 'subject' doit tenir sur une ligne de 900 caractères au plus")
    body = obj.get("body", "")
    if not isinstance(body, str):
        raise BadInput(f"{name} : 'body' doit être un texte")
    patient_id = obj.get("patient_id")
    if patient_id is not None and (not isinstance(patient_id, str | int) or isinstance(patient_id, bool)):
        raise BadInput(f"{name} : 'patient_id' doit être un texte")
    xdm = obj.get("xdm", False)
    if not isinstance(xdm, bool):
        raise BadInput(f"{name} : 'xdm' doit valoir true ou false")
    if xdm and not (patient_id is not None and str(patient_id).strip()):
        raise BadInput(f"{name} : 'xdm' exige 'patient_id' (le CDA nomme le patient)")
    account = obj.get("account")
    if account is not None and not isinstance(account, str):
        raise BadInput(f"{name} : 'account' doit être un texte")
    return Sidecar(
        to=to,
        subject=subject.strip(),
        body=body,
        cc=cc,
        patient_id=str(patient_id).strip() if patient_id is not None else None,
        xdm=xdm,
        account=account or None,
    )


def _addresses(value: Any, name: str, key: str, required: bool) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if value is None or not isinstance(value, list) or (required and not value):
        raise BadInput(f"{name} : '{key}' doit être une liste d'adresses e-mail")
    out = []
    for address in value:
        if (
            not isinstance(address, str)
            or address.count("@") != 1
            or any(c.isspace() for c in address.strip())
        ):
            raise BadInput(f"{name} : '{key}' contient autre chose qu'une adresse e-mail")
        local, domain = address.strip().split("@")
        if not local or "." not in domain:
            raise BadInput(f"{name} : '{key}' contient autre chose qu'une adresse e-mail")
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
        settle_seconds: float = 2.0,
        orphan_seconds: float = ORPHAN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = Path(folder)
        self.send = send
        self.patients = patients
        self.author = author
        self.settle_seconds = settle_seconds
        self.orphan_seconds = orphan_seconds
        self.clock = clock
        self._last_seen: dict[str, tuple[int, int]] = {}

    # ------------------------------------------------------------------ scanning
    async def scan(self) -> WatchReport:
        """Send every complete pair once; leave incomplete ones for the next scan."""
        report = WatchReport()
        if not self.folder.is_dir():
            raise BadInput(
                f"le dossier surveillé {self.folder} n'existe pas : créez-le ou corrigez [watch] folder"
            )
        seen_now: dict[str, tuple[int, int]] = {}
        files = {
            e.name: e
            for e in os.scandir(self.folder)
            if e.is_file(follow_symlinks=False) and not e.name.startswith(".") and not _is_temporary(e.name)
        }
        for name, entry in files.items():
            stat = entry.stat(follow_symlinks=False)
            seen_now[name] = (stat.st_size, stat.st_mtime_ns)
        previous, self._last_seen = self._last_seen, seen_now
        for sidecar_name in sorted(n for n in files if n.lower().endswith(".json")):
            report_name, problem = _report_for(sidecar_name, files)
            sidecar_path = self.folder / sidecar_name
            if not self._stable(sidecar_name, seen_now, previous):
                report.waiting += 1
                continue
            if problem:
                self._fail(sidecar_path, None, problem, report)
                continue
            if report_name is None:
                age = self.clock() - seen_now[sidecar_name][1] / 1e9
                if age >= self.orphan_seconds:
                    self._fail(sidecar_path, None, f"aucun compte rendu à côté de {sidecar_name}", report)
                else:
                    report.waiting += 1
                continue
            if not self._stable(report_name, seen_now, previous):
                report.waiting += 1
                continue
            await self._process(sidecar_path, self.folder / report_name, report)
        return report

    def _stable(self, name: str, now: dict[str, tuple[int, int]], before: dict[str, tuple[int, int]]) -> bool:
        """Unchanged since the previous scan, or untouched for ``settle_seconds``."""
        if before.get(name) == now[name]:
            return True
        return self.clock() - now[name][1] / 1e9 >= self.settle_seconds

    # ------------------------------------------------------------------ one pair
    async def _process(self, sidecar_path: Path, report_path: Path, report: WatchReport) -> None:
        try:
            draft = self.draft(sidecar_path.read_bytes(), sidecar_path.name, report_path)
        except MissiveError as exc:
            self._fail(sidecar_path, report_path, str(exc), report)
            return
        except OSError as exc:
            self._fail(
                sidecar_path, report_path, f"impossible de lire les fichiers ({os_reason(exc)})", report
            )
            return
        try:
            await self.send(draft)
        except MissiveError as exc:
            from core.mail.send import NotSent

            if isinstance(exc, NotSent) and not exc.permanent:
                # Queued in the durable outbox, which retries on its own: sending it again would duplicate.
                log.info("watched folder: %s queued in the outbox (%s)", report_path.name, type(exc).__name__)
            else:
                self._fail(sidecar_path, report_path, f"non envoyé : {exc}", report)
                return
        except Exception as exc:  # noqa: BLE001 - one bad pair must not stop the folder
            self._fail(sidecar_path, report_path, f"non envoyé ({type(exc).__name__})", report)
            return
        _move(report_path, self.folder / SENT)
        _move(sidecar_path, self.folder / SENT)
        report.sent.append(report_path.name)
        log.info("watched folder: %s sent", report_path.name)

    def draft(self, sidecar: bytes, sidecar_name: str, report_path: Path) -> Draft:
        """The Draft for one pair: the report attached, plus an XDM package when asked."""
        meta = parse_sidecar(sidecar, sidecar_name)
        if report_path.stat().st_size > MAX_REPORT:
            raise BadInput(f"{report_path.name} dépasse 50 Mo : trop gros pour MSSanté")
        data = report_path.read_bytes()
        if not data:
            raise BadInput(f"{report_path.name} est vide")
        content_type = _content_type(data, report_path.name)
        attachments = [Attachment(report_path.name, content_type, data)]
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
            raise BadInput(
                "xdm demandé mais aucun auteur n'est configuré : réglez practitioner.rpps dans profile.toml"
            )
        if self.patients is None:
            raise BadInput(
                "xdm demandé mais aucune liste de patients n'est disponible : "
                "importez-la avec `missive patients import`"
            )
        assert meta.patient_id is not None
        patient = self.patients(meta.patient_id)  # NotFound names the id only
        identity = patient_identity(patient)
        if content_type == "application/pdf":
            return letter_package(identity, self.author, title=meta.subject, pdf=data)
        from core.clinical.encoding import decode_text

        return letter_package(identity, self.author, title=meta.subject, text=decode_text(data))

    def _fail(self, sidecar_path: Path, report_path: Path | None, reason: str, report: WatchReport) -> None:
        failed = self.folder / FAILED
        moved = _move(report_path, failed) if report_path is not None else None
        moved_sidecar = _move(sidecar_path, failed)
        label = (moved or moved_sidecar).name
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        error = failed / f"{label}.error.txt"
        error.write_text(f"{stamp}\n{reason}\n", encoding="utf-8")
        report.failed.append(label)
        log.warning("watched folder: %s set aside in failed/", label)


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


def _move(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder`` without replacing anything there; the new path."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():
        counter += 1
        target = folder / f"{path.stem}.{counter}{path.suffix}"
    os.replace(path, target)
    return target


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
    )

    async def run() -> None:
        result = await watcher.scan()
        if result.sent or result.failed:
            log.info("watched folder: %d sent, %d failed", len(result.sent), len(result.failed))

    return run


__all__ = ["FAILED", "SENT", "Sidecar", "WatchFolder", "WatchReport", "parse_sidecar", "watch_task"]
