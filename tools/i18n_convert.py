"""Turn `SomeError(f"phrase {x}")` calls in core/ into `SomeError(T("mod.slug", x=x))` and collect the French
templates into core/locale/fr.json. Prints what it could not convert."""

from __future__ import annotations

import ast
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
ERRORS = {
    "MissiveError", "BadInput", "ConfigError", "NotFound", "SecurityError", "WrongPassphrase", "Locked",
    "PolicyRefused", "StoreError", "StoreCorrupted", "TransportError", "MailboxMissing", "ParseError",
    "PscError", "LoginRequired", "ZipBombRefused", "NotSent", "SmtpError", "ImportRefused", "UsageError",
}
GENERIC = {"name", "path", "id", "value", "text", "data", "message", "code", "host", "port", "folder"}
fr_path = ROOT / "core/locale/fr.json"
catalogue: dict[str, str] = json.loads(fr_path.read_text()) if fr_path.exists() else {}
skipped: list[str] = []


def slug(text: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"\{[^}]*\}", " ", t)
    words = [w for w in re.findall(r"[a-z0-9]+", t) if len(w) > 2 and w not in {"les", "des", "une", "est", "pas", "que", "qui", "dans", "pour", "sur", "avec", "vous", "votre", "vos", "aux", "par", "ses", "son", "the"}]
    return "-".join(words[:4]) or "message"


def param_name(node: ast.expr, src: str) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = node.value
        while isinstance(base, (ast.Attribute, ast.Subscript, ast.Call)):
            base = base.value if not isinstance(base, ast.Call) else base.func
        if node.attr in GENERIC and isinstance(base, ast.Name) and base.id not in ("self", "cls"):
            return f"{base.id}_{node.attr}"
        return node.attr
    if isinstance(node, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "value"
        if name in ("len",) and node.args:
            return "n_" + param_name(node.args[0], src)
        if name in ("str", "repr", "int", "float", "round") and node.args:
            return param_name(node.args[0], src)
        return name
    if isinstance(node, ast.Subscript):
        return param_name(node.value, src)
    if isinstance(node, ast.BinOp):
        return "value"
    return "value"


def template_of(node: ast.expr, src: str) -> tuple[str, list[tuple[str, str]]] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}"), []
    if not isinstance(node, ast.JoinedStr):
        return None
    parts: list[str] = []
    params: list[tuple[str, str]] = []
    used: dict[str, str] = {}
    for v in node.values:
        if isinstance(v, ast.Constant):
            parts.append(str(v.value).replace("{", "{{").replace("}", "}}"))
            continue
        assert isinstance(v, ast.FormattedValue)
        expr = ast.get_source_segment(src, v.value)
        if expr is None:
            return None
        name = re.sub(r"\W", "_", param_name(v.value, src)).strip("_") or "value"
        if name in used and used[name] != expr:
            i = 2
            while f"{name}{i}" in used and used[f"{name}{i}"] != expr:
                i += 1
            name = f"{name}{i}"
        if name not in used:
            used[name] = expr
            params.append((name, expr))
        conv = {-1: "", 115: "!s", 114: "!r", 97: "!a"}[v.conversion]
        spec = ""
        if v.format_spec is not None:
            if not all(isinstance(x, ast.Constant) for x in v.format_spec.values):
                return None
            spec = ":" + "".join(str(x.value) for x in v.format_spec.values)
        parts.append("{" + name + conv + spec + "}")
    return "".join(parts), params


def convert(path: Path) -> int:
    src = path.read_text()
    tree = ast.parse(src)
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts[1:])  # core.x.y -> x.y
    lines = src.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def pos(lineno: int, col: int) -> int:
        return offsets[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode())

    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f = node.func
        fname = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        if fname not in ERRORS:
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == "T":
            continue
        got = template_of(arg, src)
        if got is None:
            skipped.append(f"{path}:{node.lineno}: {fname}({ast.get_source_segment(src, arg)[:80]!r})")
            continue
        template, params = got
        if not template.strip() or re.fullmatch(r"[a-z0-9.-]+", template):
            continue
        base = f"{module}.{slug(template)}"
        code, i = base, 2
        while code in catalogue and catalogue[code] != template:
            code, i = f"{base}-{i}", i + 1
        catalogue[code] = template
        args = "".join(f", {n}={e}" for n, e in params)
        edits.append((pos(arg.lineno, arg.col_offset), pos(arg.end_lineno, arg.end_col_offset), f'T("{code}"{args})'))
    if not edits:
        return 0
    out = src
    for a, b, text in sorted(edits, reverse=True):
        out = out[:a] + text + out[b:]
    if "from core.text import T" not in out and path.name != "text.py":
        m = re.search(r"^from __future__ import annotations\n", out, re.M)
        at = m.end() if m else 0
        out = out[:at] + "\nfrom core.text import T\n" + out[at:]
    path.write_text(out)
    return len(edits)


total = 0
targets = [Path(p) for p in sys.argv[2:]] or sorted((ROOT / "core").rglob("*.py"))
for p in targets:
    if p.name in ("text.py", "errors.py") and p.parent.name == "core":
        continue
    total += convert(p)
fr_path.parent.mkdir(exist_ok=True)
fr_path.write_text(json.dumps(dict(sorted(catalogue.items())), ensure_ascii=False, indent=1) + "\n")
print("converted", total)
print("skipped", len(skipped))
for s in skipped:
    print("  ", s)
