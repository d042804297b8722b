"""The app's threads share glibc's main malloc arena (tui.cli.one_malloc_arena, set by a plain ``missive [tui]``
before any thread starts): each thread kept an arena of its own whose free parts no other thread reused (about
0.5 MB at the 10k inbox). Counted with glibc's malloc_info after four threads have allocated."""

from __future__ import annotations

import platform

import pytest

from tests.fresh import fresh_json

COUNT = """
import ctypes, json, sys, threading

def heaps():
    libc = ctypes.CDLL(None)
    libc.open_memstream.restype = ctypes.c_void_p
    text, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(text), ctypes.byref(size))
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    return text.value.decode().count("<heap nr=")

if sys.argv[1] == "app":  # the console script's plain `missive --profile <none>`: it says so and returns
    from tui import cli
    sys.argv = ["missive", "--profile", sys.argv[2]]
    out = {"code": cli.main()}
else:
    out = {}
held, go = [], threading.Event()

def allocate():
    held.append([bytes(600 + i % 64) for i in range(5000)])  # past pymalloc's 512 bytes: malloc's
    go.wait()

threads = [threading.Thread(target=allocate) for _ in range(4)]
for thread in threads:
    thread.start()
while len(held) < 4:
    pass
out["heaps"] = heaps()
go.set()
for thread in threads:
    thread.join()
print(json.dumps(out))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt and malloc_info are glibc's")
def test_the_app_keeps_one_malloc_arena_for_its_threads(tmp_path) -> None:
    assert fresh_json(COUNT, "app", str(tmp_path / "none")) == {"code": 1, "heaps": 1}
    assert fresh_json(COUNT, "alone", "")["heaps"] > 1  # without it: an arena per thread
