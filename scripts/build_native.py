"""Compile the modules on the redirect's path with mypyc, beside their sources (`make install`).

The click tracker's `record` runs on every redirect. Compiled, a click costs the web process
about half the instructions it costs interpreted (bench/README.md), because the loop over the
request's headers no longer goes through the interpreter. Python imports an extension module
before a `.py` of the same name, so the compiled module is the one used wherever it is built;
without it (no C compiler, a plain `pip install`) the same source runs interpreted.

A module is rebuilt when it, or a shorturl module it imports, is newer than its build (mypyc
copies the `Final` constants it imports into the compiled code). Needs mypy (the dev extra)
and a C compiler with Python's headers.

    python scripts/build_native.py           # build what is missing or stale
    python scripts/build_native.py --check   # exit 1, naming them, when any is
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("shorturl/analytics/tracker.py", "shorturl/analytics/spool.py")


def built(source: Path) -> Path:
    """The extension module mypyc makes of `source`, beside it."""
    return source.with_name(source.stem + sysconfig.get_config_var("EXT_SUFFIX"))


def inputs(source: Path) -> list[Path]:
    """`source` and the shorturl modules it imports by name."""
    found = [source]
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("shorturl."):
                path = ROOT / (name.replace(".", "/") + ".py")
                found.append(path if path.exists() else path.with_suffix("") / "__init__.py")
    return found


def stale(source: Path) -> bool:
    module = built(source)
    if not module.exists():
        return True
    made = module.stat().st_mtime
    return any(path.stat().st_mtime > made for path in inputs(source))


def compile_modules(sources: list[Path]) -> None:
    """mypyc, run where setuptools sees no pyproject.toml of ours (it would read this project's
    metadata as its own): in a scratch directory holding a link to the package, so that the
    modules keep their names and the extensions land beside their sources."""
    with tempfile.TemporaryDirectory(prefix="shorturl-mypyc-") as scratch:
        (Path(scratch) / "shorturl").symlink_to(ROOT / "shorturl")
        # One module a run: mypyc puts the shared library of several modules built together
        # at the top of the scratch directory, not beside them.
        for source in sources:
            command = [sys.executable, "-m", "mypyc", f"--config-file={ROOT / 'pyproject.toml'}"]
            command.append(str(source.relative_to(ROOT)))
            if subprocess.run(command, cwd=scratch, stdout=subprocess.DEVNULL).returncode:
                raise SystemExit(
                    "mypyc could not compile (see above): it needs mypy and setuptools (the "
                    "dev extra) and a C compiler with Python's headers (Debian: gcc, python3-dev)"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say what is not built")
    args = parser.parse_args()
    todo = [ROOT / name for name in MODULES if stale(ROOT / name)]
    if args.check:
        for source in todo:
            print(f"not built, or older than its sources: {source.relative_to(ROOT)}")
        return 1 if todo else 0
    if todo:
        print("compiling with mypyc:", *(str(source.relative_to(ROOT)) for source in todo))
        compile_modules(todo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
