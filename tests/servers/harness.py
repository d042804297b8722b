"""Real Dovecot and Postfix on 127.0.0.1, in a throwaway folder, for the integration tests.

Layout of one run (``MailServers.root``): ``pki/`` (a throwaway CA, server and client certificates),
``dovecot-<name>/`` (config, state, logs of each Dovecot instance), ``mail/<domain>/<user>/Maildir``,
``postfix/`` (config, queue, log).

Dovecot instances, all serving the same Maildirs:
- ``main``: IMAP with STARTTLS (``imap_port``), implicit TLS (``imaps_port``), LMTP socket, SASL socket for
  Postfix, client-certificate login for ``carol``;
- ``plain``: IMAP with no TLS at all (``imap_plain_port``) for the "server without STARTTLS" test;
- ``wronghost``: STARTTLS and implicit TLS with a certificate for another host name (``imap_wronghost_port``,
  ``imaps_wronghost_port``).
- ``oauth``: IMAP with STARTTLS (``imap_oauth_port``) and implicit TLS (``imaps_oauth_port``) whose only login is
  an OAuth2 bearer token (XOAUTH2, OAUTHBEARER), checked by the ``oauth2`` passdb through the introspection
  endpoint of the Pro Santé Connect stand-in (``psc``, tests/servers/psc.py, started here in a thread).
Postfix: submission with STARTTLS + SASL (``submission_port``), implicit TLS (``smtps_port``), no STARTTLS
(``submission_plain_port``), STARTTLS with the other host's certificate (``submission_wronghost_port``),
STARTTLS with SASL through the ``oauth`` Dovecot (``submission_oauth_port``: XOAUTH2 and OAUTHBEARER);
mail for the test domain goes to Dovecot over LMTP; nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.servers.pki import TestCA
from tests.servers.psc import PscStandIn

DOMAIN = "missive.test"
PASSWORD = "mot-de-passe-de-test"  # every test user's password
CLIENT_CERT_USER = "carol"  # this user logs in only with a client certificate (plus the password)
CLIENT_CERT_PASSWORD = "p12-pass"
USERS = ("alice", "bob", "carol")
POOL = 300  # extra users pool1..poolN handed out by MailServers.add_user()
# users own1..ownN (MailServers.add_user_without_sent): their Sent and Trash are not created by the server, so the
# folders of those roles are the ones a test creates under another name (\Sent 'Courrier parti', \Trash
# 'Poubelle' below): an operator's server whose Sent folder is called otherwise
OWN_NAMES_POOL = 10
# (a passwd-file userdb passes on only the extra fields named userdb_*; the setting path is doveconf's)
OWN_NAMES_FIELDS = "userdb_namespace/inbox/mailbox/Sent/auto=no userdb_namespace/inbox/mailbox/Trash/auto=no"
OTHER_HOST = "mail.other-host.test"
# A Mon espace santé mailbox (the ANS examples' test INS), so letters to a patient can be delivered and read
PATIENT_DOMAIN = "patient.mssante.fr"
REFUSED = f"refuse@{DOMAIN}"  # the submission server refuses this recipient for good (554 5.7.1)
PATIENT = f"279035121518989@{PATIENT_DOMAIN}"
PSC_CLIENT_ID = "missive-test"  # registered at the PSC stand-in with PSC_CLIENT_SECRET
PSC_CLIENT_SECRET = "secret-du-client-de-test"
PSC_MTLS_CLIENT_ID = "missive-test-mtls"  # registered without secret: authenticates with psc_client_p12
PSC_MTLS_PASSWORD = "p12-psc"

APT_PACKAGES = ["dovecot-imapd", "dovecot-lmtpd", "postfix"]


class ServersUnavailable(RuntimeError):
    """The servers are not installed or could not start (the message says why)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.02)
    raise ServersUnavailable(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def installed() -> bool:
    return all(Path(p).exists() for p in ("/usr/sbin/dovecot", "/usr/lib/dovecot/lmtp", "/usr/sbin/postfix"))


def ensure_installed() -> None:
    """Install Dovecot and Postfix with apt-get when missing (as root or through sudo), without starting them."""
    if installed():
        return
    if shutil.which("apt-get") is None:
        raise ServersUnavailable("Dovecot/Postfix missing and no apt-get to install them")
    sudo: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise ServersUnavailable("Dovecot/Postfix missing; install them as root (no sudo here)")
        sudo = ["sudo", "-n"]
    # policy-rc.d exit 101 forbids the packages' maintainer scripts from starting the services.
    policy = Path("/usr/sbin/policy-rc.d")
    created = False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        if not policy.exists():
            subprocess.run(
                [*sudo, "sh", "-c", f"printf '#!/bin/sh\\nexit 101\\n' > {policy} && chmod 755 {policy}"],
                check=True,
            )
            created = True
        subprocess.run(
            [
                *sudo,
                "sh",
                "-c",
                "echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections",
            ],
            check=False,
            env=env,
        )
        update = subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, capture_output=True, text=True)
        if update.returncode != 0:
            raise ServersUnavailable(f"apt-get update failed: {update.stderr.strip().splitlines()[-1:]}")
        done = subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", *APT_PACKAGES],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise ServersUnavailable(f"apt-get install failed: {done.stderr.strip().splitlines()[-1:]}")
    finally:
        if created:
            subprocess.run([*sudo, "rm", "-f", str(policy)], check=False)
    if not installed():
        raise ServersUnavailable("apt-get ran but Dovecot/Postfix are still missing")


@dataclass
class _Dovecot:
    name: str
    folder: Path
    conf: Path


class MailServers:
    """Start, stop and poke the suite's Dovecot and Postfix. Use as a context manager or call stop()."""

    domain = DOMAIN
    password = PASSWORD
    client_cert_user = CLIENT_CERT_USER
    client_cert_password = CLIENT_CERT_PASSWORD
    other_host = OTHER_HOST
    patient = PATIENT

    def __init__(self, root: Path | None = None) -> None:
        if os.geteuid() != 0:
            raise ServersUnavailable("the test servers run as root (Dovecot switches to the mail user)")
        if not installed():
            raise ServersUnavailable("Dovecot/Postfix not installed: run `python -m tests.servers install`")
        self._own_root = root is None
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="missive-servers-"))
        # Postfix and Dovecot run as other users: they must be able to walk down to their files.
        self.root.chmod(0o755)
        self.host = "127.0.0.1"
        self.imap_port = _free_port()
        self.imaps_port = _free_port()
        self.imap_plain_port = _free_port()
        self.imap_wronghost_port = _free_port()
        self.imaps_wronghost_port = _free_port()
        self.submission_port = _free_port()
        self.smtps_port = _free_port()
        self.submission_plain_port = _free_port()
        self.submission_wronghost_port = _free_port()
        self.imap_oauth_port = _free_port()
        self.imaps_oauth_port = _free_port()
        self.submission_oauth_port = _free_port()
        self._dovecots: list[_Dovecot] = []
        self._postfix_dir = self.root / "postfix"
        self._postfix_started = False
        self.started = False

        pki = TestCA(self.root / "pki")
        self.ca_file: Path = pki.ca_file
        self.server_cert = pki.server("server", ["localhost", "127.0.0.1"])
        self.wronghost_cert = pki.server("wronghost", [OTHER_HOST])
        self.client_p12: bytes = pki.client_p12(self.address(CLIENT_CERT_USER), CLIENT_CERT_PASSWORD)
        self.psc_client_p12: bytes = pki.client_p12(PSC_MTLS_CLIENT_ID, PSC_MTLS_PASSWORD)
        self.psc = PscStandIn(self.root / "psc", self.server_cert.cert, self.server_cert.key, self.ca_file)
        self.psc.add_client(PSC_CLIENT_ID, PSC_CLIENT_SECRET)
        self.psc.add_client(PSC_MTLS_CLIENT_ID)
        self._psc_ids = 0
        for p in (self.server_cert.key, self.wronghost_cert.key):
            # Dovecot reads keys as root, Postfix as root too: 0600 root is fine.
            p.chmod(0o600)

    # ----------------------------------------------------------------- public helpers
    def address(self, user: str) -> str:
        return user if "@" in user else f"{user}@{DOMAIN}"

    def add_user(self, prefix: str = "user") -> str:
        """An empty mailbox of its own for one test (password ``PASSWORD``); returns its address.

        Users come from a pool written at start: Dovecot may not notice a passwd-file changed twice in one second.
        """
        self._user_count = getattr(self, "_user_count", 0) + 1
        if self._user_count > POOL:
            raise ServersUnavailable(
                f"more than {POOL} fresh users asked for: raise POOL in tests/servers/harness.py"
            )
        return self.address(f"pool{self._user_count}")

    def add_user_without_sent(self) -> str:
        """An empty mailbox (password ``PASSWORD``) with no Sent nor Trash folder made by the server: the folders
        marked \\Sent and \\Trash are those the test creates ('Courrier parti', 'Poubelle')."""
        self._own_count = getattr(self, "_own_count", 0) + 1
        if self._own_count > OWN_NAMES_POOL:
            raise ServersUnavailable(
                f"more than {OWN_NAMES_POOL} such users asked for: raise OWN_NAMES_POOL in tests/servers/harness.py"
            )
        return self.address(f"own{self._own_count}")

    def add_psc_user(self, prefix: str = "psc") -> tuple[str, str]:
        """A fresh mailbox whose owner logs in with the PSC stand-in: returns (national id, address)."""
        address = self.add_user(prefix)
        self._psc_ids += 1
        national_id = f"8{self._psc_ids:011d}"
        self.psc.add_user(national_id, address)
        return national_id, address

    def maildir_of(self, user: str) -> Path:
        local, _, domain = self.address(user).partition("@")
        return self.root / "mail" / domain / local / "Maildir"

    @property
    def lmtp_socket(self) -> Path:
        return self.root / "dovecot-main" / "run" / "lmtp"

    def deliver(self, user: str, raw: bytes, sender: str = "sender@missive.test") -> None:
        """Deliver ``raw`` to ``user``'s INBOX through Dovecot's LMTP (as Postfix would)."""
        with smtplib.LMTP(str(self.lmtp_socket), timeout=30) as lmtp:
            lmtp.sendmail(sender, [self.address(user)], raw)

    def log(self, name: str = "main") -> str:
        """Dovecot's log for one instance (``main``, ``plain``, ``wronghost``, ``oauth``) or ``postfix``."""
        path = (
            self._postfix_dir / "postfix.log"
            if name == "postfix"
            else self.root / f"dovecot-{name}" / "dovecot.log"
        )
        return path.read_text(errors="replace") if path.exists() else ""

    # ----------------------------------------------------------------- life cycle
    def start(self) -> MailServers:
        try:
            self._write_users()
            self.psc.start()
            self._dovecots = [
                self._dovecot("main", self._main_conf()),
                self._dovecot("plain", self._plain_conf()),
                self._dovecot("wronghost", self._wronghost_conf()),
                self._dovecot("oauth", self._oauth_conf(), auth=self._oauth_auth_conf()),
            ]
            for d in self._dovecots:
                self._start_dovecot(d)
            for port in (
                self.imap_port,
                self.imaps_port,
                self.imap_plain_port,
                self.imap_wronghost_port,
                self.imap_oauth_port,
            ):
                _wait_port(port)
            self._start_postfix()
            for port in (
                self.submission_port,
                self.smtps_port,
                self.submission_plain_port,
                self.submission_wronghost_port,
                self.submission_oauth_port,
            ):
                _wait_port(port)
        except BaseException:
            self.stop()
            raise
        self.started = True
        return self

    def stop(self) -> None:
        """Stop every server started here and remove the throwaway folder."""
        if self._postfix_started:
            self._postfix("stop", check=False)
            self._postfix_started = False
        self._stop_dovecot(*self._dovecots)
        self.psc.stop()
        self.started = False
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def restart_dovecot(self, name: str = "main") -> None:
        """Stop and start one Dovecot instance (open connections are cut); mail and UIDs survive."""
        d = next(x for x in self._dovecots if x.name == name)
        self._stop_dovecot(d)
        self._start_dovecot(d)
        _wait_port(self._imap_port_of(name))

    def stop_dovecot(self, name: str = "main") -> None:
        self._stop_dovecot(next(x for x in self._dovecots if x.name == name))

    def start_dovecot(self, name: str = "main") -> None:
        self._start_dovecot(next(x for x in self._dovecots if x.name == name))
        _wait_port(self._imap_port_of(name))

    def _imap_port_of(self, name: str) -> int:
        return {
            "main": self.imap_port,
            "plain": self.imap_plain_port,
            "wronghost": self.imap_wronghost_port,
            "oauth": self.imap_oauth_port,
        }[name]

    def __enter__(self) -> MailServers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- Dovecot
    def _write_users(self) -> None:
        mail = self.root / "mail"
        mail.mkdir(exist_ok=True)
        shutil.chown(mail, "mail", "mail")
        own = [f"own{i}" for i in range(1, OWN_NAMES_POOL + 1)]
        everyone = [*USERS, *(f"pool{i}" for i in range(1, POOL + 1)), *own, PATIENT]
        lines = [f"{self.address(u)}:{{PLAIN}}{PASSWORD}::::::" for u in everyone if u != CLIENT_CERT_USER]
        users = self.root / "users"
        users.write_text("\n".join(lines) + "\n")
        # Every user exists for delivery (LMTP), whatever the way they log in.
        (self.root / "userdb").write_text(
            "".join(f"{self.address(u)}:::::::{OWN_NAMES_FIELDS if u in own else ''}\n" for u in everyone)
        )
        # The second passdb is only consulted under a file name ending in "valid", i.e. when Dovecot saw a
        # valid client certificate (%{cert}); carol exists only there.
        (self.root / "certusers").write_text("")
        (self.root / "certusersvalid").write_text(
            f"{self.address(CLIENT_CERT_USER)}:{{PLAIN}}{PASSWORD}::::::\n"
        )

    def _password_auth_conf(self) -> str:
        return f"""
auth_mechanisms = plain login xoauth2
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/certusers%{{cert}}
}}
"""

    def _oauth_auth_conf(self) -> str:
        """Bearer tokens only, checked by POSTing them to the PSC stand-in's introspection endpoint."""
        folder = self.root / "dovecot-oauth"
        folder.mkdir(parents=True, exist_ok=True)
        ext = folder / "dovecot-oauth2.conf.ext"
        ext.write_text(
            f"""introspection_mode = post
introspection_url = {self.psc.introspection_url}
username_attribute = email
active_attribute = active
active_value = true
tls_ca_cert_file = {self.ca_file}
"""
        )
        ext.chmod(0o600)
        return f"""
auth_mechanisms = xoauth2 oauthbearer
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {ext}
}}
"""

    def _common_conf(self, name: str, folder: Path, auth: str | None = None) -> str:
        return (
            (auth if auth is not None else self._password_auth_conf())
            + f"""
instance_name = missive-test-{name}-{os.getpid()}-{id(self)}
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
info_log_path = {folder}/dovecot.log
listen = 127.0.0.1
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 8
mail_location = maildir:{self.root}/mail/%d/%n/Maildir
mail_fsync = never
auth_failure_delay = 0
userdb {{
  driver = passwd-file
  args = username_format=%u {self.root}/userdb
  default_fields = uid=mail gid=mail home={self.root}/mail/%d/%n
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  # a Sent folder under a name no list of usual names holds (not created: a test that creates it gets the role)
  mailbox "Courrier parti" {{
    special_use = \\Sent
  }}
  mailbox "Rangement" {{
    special_use = \\Archive
  }}
  mailbox "Poubelle" {{
    special_use = \\Trash
  }}
}}
"""
        )

    def _tls_conf(self, cert_pem: Path, key: Path) -> str:
        return f"""
ssl = yes
ssl_cert = <{cert_pem}
ssl_key = <{key}
ssl_ca = <{self.ca_file}
ssl_verify_client_cert = yes
ssl_require_crl = no
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
"""

    def _main_conf(self) -> str:
        return (
            self._tls_conf(self.server_cert.cert, self.server_cert.key)
            + f"""
protocols = imap lmtp
postmaster_address = postmaster@{DOMAIN}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
  process_min_avail = 1
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
"""
        )

    def _plain_conf(self) -> str:
        return f"""
protocols = imap
ssl = no
disable_plaintext_auth = no
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_plain_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

    def _wronghost_conf(self) -> str:
        return (
            self._tls_conf(self.wronghost_cert.cert, self.wronghost_cert.key)
            + f"""
protocols = imap
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_wronghost_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_wronghost_port}
    ssl = yes
  }}
}}
"""
        )

    def _oauth_conf(self) -> str:
        return (
            self._tls_conf(self.server_cert.cert, self.server_cert.key)
            + f"""
protocols = imap
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_oauth_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_oauth_port}
    ssl = yes
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
"""
        )

    def _dovecot(self, name: str, specific: str, auth: str | None = None) -> _Dovecot:
        folder = self.root / f"dovecot-{name}"
        for sub in ("run", "state"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf = folder / "dovecot.conf"
        conf.write_text(self._common_conf(name, folder, auth) + specific)
        return _Dovecot(name, folder, conf)

    def _start_dovecot(self, d: _Dovecot) -> None:
        # The daemon keeps the std streams it inherits: a pipe here would never reach EOF.
        out = d.folder / "start.out"
        with out.open("w") as sink:
            done = subprocess.run(
                ["dovecot", "-c", str(d.conf)], stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
            )
        if done.returncode != 0:
            tail = out.read_text(errors="replace").strip().splitlines()[-3:]
            raise ServersUnavailable(f"Dovecot ({d.name}) did not start: {' | '.join(tail)}")

    def _stop_dovecot(self, *instances: _Dovecot) -> None:
        """SIGTERM every master at once (``dovecot stop`` waits seconds per instance), then wait for them."""
        pids: list[int] = []
        for d in instances:
            pid_file = d.folder / "run" / "master.pid"
            try:
                pid = int(pid_file.read_text().strip())
            except (OSError, ValueError):
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
            pid_file.unlink(missing_ok=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.02)
        for pid in pids:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        # Children (imap, login processes) may outlive their master for a moment: a "restart" must cut
        # every open connection, so end them too.
        names = [f"dovecot-missive-test-{d.name}-{os.getpid()}-{id(self)}/".encode() for d in instances]
        deadline = time.monotonic() + 5
        while True:
            left = _processes_named(names)
            if not left or time.monotonic() > deadline:
                break
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    # ----------------------------------------------------------------- Postfix
    def _start_postfix(self) -> None:
        conf = self._postfix_dir
        queue = conf / "queue"
        data = conf / "data"
        for p in (conf, queue, data):
            p.mkdir(parents=True, exist_ok=True)
        shutil.chown(data, "postfix")
        auth_socket = self.root / "dovecot-main" / "run" / "auth-postfix"
        log = conf / "postfix.log"
        log.touch()
        tls = f"""
smtpd_tls_cert_file = {self.server_cert.cert}
smtpd_tls_key_file = {self.server_cert.key}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_protocols = >=TLSv1.2
"""
        (conf / "main.cf").write_text(
            f"""
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = localhost
mydomain = {DOMAIN}
myorigin = {DOMAIN}
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
virtual_mailbox_domains = {DOMAIN}, {PATIENT_DOMAIN}
virtual_transport = lmtp:unix:{self.lmtp_socket}
default_transport = error:the test servers send nothing off this machine
relay_transport = error:the test servers send nothing off this machine
smtpd_sasl_type = dovecot
smtpd_sasl_path = {auth_socket}
smtpd_sasl_auth_enable = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access inline:{{ {REFUSED}=REJECT }}, permit_sasl_authenticated, reject
smtpd_client_restrictions =
smtpd_helo_required = no
disable_dns_lookups = yes
smtp_dns_support_level = disabled
message_size_limit = 104857600
mailbox_size_limit = 0
maillog_file = {log}
maillog_file_prefixes = /var, /dev/stdout, {conf}
alias_maps =
alias_database =
local_recipient_maps =
biff = no
{tls}
"""
        )
        opts_plain = "-o smtpd_tls_security_level=none -o smtpd_tls_auth_only=no"
        oauth_socket = self.root / "dovecot-oauth" / "run" / "auth-postfix"
        opts_oauth = f"-o smtpd_sasl_path={oauth_socket}"
        opts_wrong = f"-o smtpd_tls_cert_file={self.wronghost_cert.cert} -o smtpd_tls_key_file={self.wronghost_cert.key}"
        (conf / "master.cf").write_text(
            f"""
127.0.0.1:{self.submission_port} inet n - n - - smtpd
127.0.0.1:{self.smtps_port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
127.0.0.1:{self.submission_plain_port} inet n - n - - smtpd {opts_plain}
127.0.0.1:{self.submission_wronghost_port} inet n - n - - smtpd {opts_wrong}
127.0.0.1:{self.submission_oauth_port} inet n - n - - smtpd {opts_oauth}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""
        )
        self._postfix("start")
        self._postfix_started = True

    def _postfix(self, action: str, check: bool = True) -> None:
        # `postfix` says nothing and fails without a terminal: give it one with script(1).
        cmd = f"postfix -c {self._postfix_dir} {action}"
        out = self._postfix_dir / f"{action}.out"
        with out.open("w") as sink:
            done = subprocess.run(
                ["script", "-qec", cmd, "/dev/null"], stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
            )
        if check and done.returncode != 0:
            tail = out.read_text(errors="replace").strip().splitlines()[-3:]
            raise ServersUnavailable(f"Postfix {action} failed: {' | '.join(tail)}")
        if action == "stop":
            pid_file = self._postfix_dir / "queue" / "pid" / "master.pid"
            deadline = time.monotonic() + 10
            while pid_file.exists() and time.monotonic() < deadline:
                try:
                    pid = int(pid_file.read_text().strip())
                except (ValueError, OSError):
                    break
                if not _alive(pid):
                    break
                time.sleep(0.02)


def _processes_named(prefixes: list[bytes]) -> list[int]:
    """Live processes whose title starts with one of ``prefixes`` (Dovecot names them instance/service)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if any(cmdline.startswith(p) for p in prefixes) and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child counts as dead
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if ") Z" in stat:
            return False
    return True
