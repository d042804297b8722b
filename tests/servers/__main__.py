"""``python -m tests.servers install`` installs Dovecot and Postfix when missing; ``check`` starts and stops them."""

from __future__ import annotations

import sys

from tests.servers.harness import MailServers, ServersUnavailable, ensure_installed


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "install"
    try:
        if action == "install":
            ensure_installed()
            print("Dovecot and Postfix are installed")
        elif action == "check":
            ensure_installed()
            with MailServers() as servers:
                print(
                    f"servers up: IMAP STARTTLS 127.0.0.1:{servers.imap_port}, submission :{servers.submission_port}"
                )
        else:
            print("usage: python -m tests.servers [install|check]", file=sys.stderr)
            return 2
    except ServersUnavailable as exc:
        print(f"tests.servers: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
