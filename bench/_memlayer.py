"""One layer of bench.memfloor, in its own interpreter: ``python -m bench._memlayer LAYER OUT SETTLE``.

Imports nothing of its own beyond what the layer is (``sys`` and ``time`` are loaded by any interpreter), so
the ``python`` layer is the interpreter and its site set-up alone, and no layer below ``code`` imports a line of
missive (what missive's modules load, hashlib with the vault's hmac for one, is theirs). Writes ``rss anon
modules`` (KB, KB, count) to OUT, read by itself from /proc/self/smaps_rollup ``SETTLE`` seconds after it is
up, and the names of the modules loaded then to OUT.modules.
"""

import sys
import time

LAYERS = ("python", "asyncio", "textual", "cryptography", "unlock", "code")

# the vault's default Argon2id cost (core.store.vault.DEFAULT_ARGON2ID, which a test holds equal): written here so
# that the unlock layer imports no module of missive's
UNLOCK_MEMORY_KIB, UNLOCK_ITERATIONS, UNLOCK_LANES = 64 * 1024, 3, 1

# the modules of the inbox (beyond what they import themselves), imported by the ``code`` layer
INBOX_MODULES = (
    "tui.cli",
    "tui.clirun",
    "tui.commands.profile",
    "tui.app",
    "tui.panes.inbox",
    "tui.panes.reader",
    "tui.widgets.message_list",
    "core.mailroom",
    "core.store.profile",
    "core.store.listindex",
)


def _figures() -> str:
    fields = {}
    with open("/proc/self/smaps_rollup") as rollup:
        for line in rollup.read().splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1])
    return f"{fields['Rss']} {fields['Anonymous']} {len(sys.modules)}"


def _modules() -> str:
    return "\n".join(sorted(name for name, module in sys.modules.items() if module is not None))


def _unlock() -> None:
    """One Argon2id derivation at the vault's default cost, one AES-GCM seal and open."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    key = Argon2id(
        salt=bytes(16),
        length=32,
        iterations=UNLOCK_ITERATIONS,
        lanes=UNLOCK_LANES,
        memory_cost=UNLOCK_MEMORY_KIB,
    ).derive(b"memfloor")
    aead = AESGCM(key)
    aead.decrypt(bytes(12), aead.encrypt(bytes(12), bytes(100_000), b"memfloor"), b"memfloor")


def _write(out: str) -> None:
    figures = _figures()
    with open(out + ".modules", "w") as f:
        f.write(_modules())
    with open(out, "w") as f:
        f.write(figures)


def layer(name: str, out: str, settle: float) -> None:
    """Be layer ``name`` and write its figures to ``out`` after ``settle`` seconds."""
    if name == "python":
        time.sleep(settle)
        _write(out)
        return
    if name == "asyncio":
        import asyncio  # noqa: F401

        time.sleep(settle)
        _write(out)
        return

    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Layer(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("missive " * 40)

        def on_mount(self) -> None:
            if LAYERS.index(name) >= LAYERS.index("cryptography"):
                from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: F401
                from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: F401
                from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: F401
            if LAYERS.index(name) >= LAYERS.index("unlock"):
                _unlock()
            if name == "code":
                import importlib

                for module in INBOX_MODULES:
                    importlib.import_module(module)
                from core.mailroom import preload

                preload()
            self.set_timer(settle, self.done)

        def done(self) -> None:
            _write(out)
            self.exit()

    Layer().run()


if __name__ == "__main__":
    layer(sys.argv[1], sys.argv[2], float(sys.argv[3]))
