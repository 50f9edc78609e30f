"""Regenerate the typed clients in generated/ from specs/, or check that they are current.

    python scripts/generate.py            # rewrite generated/kling_avatar_generated/<provider>
    python scripts/generate.py --check    # regenerate into a temporary folder and diff

Each client is generated into a fresh temporary project (so ``--overwrite`` never leaves stale
files behind, and the generator's own pyproject/README are thrown away), then only the package
folder, which carries ``py.typed``, replaces the one in generated/. The generator, ruff and this
Python are the ones pinned by uv.lock, so the output is the same on every machine.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import click
from kling_avatar import _registry

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
GENERATOR = ROOT / "generator"
GENERATED = ROOT / "generated"
# One top-level package for every client, named after the project, so that installing the wheel
# puts nothing generic (a `crun_client` of its own) next to the user's packages.
NAMESPACE = "kling_avatar_generated"
PACKAGES = GENERATED / NAMESPACE
NAMESPACE_INIT = '''"""The typed clients openapi-python-client makes from specs/; never hand-edited.

Each subpackage `<provider>` is made from specs/<provider>.yaml by scripts/generate.py.
"""
'''
# The providers that have a spec, and so a generated client: the package's registry (it imports
# nothing, so generating works while the package does not). Each one needs specs/<name>.yaml and
# generator/<name>.yaml.
PROVIDERS: tuple[str, ...] = _registry.PROVIDERS
IGNORED = {"__pycache__", ".ruff_cache", ".mypy_cache"}


def write_namespace(dest_parent: Path) -> Path:
    """The namespace package's own ``__init__.py`` (the generator makes only the subpackages)."""
    dest_parent.mkdir(parents=True, exist_ok=True)
    init = dest_parent / "__init__.py"
    init.write_text(NAMESPACE_INIT)
    return init


def _run_generator(arguments: list[str]) -> tuple[int, str]:
    """openapi-python-client's command line, in this process: its exit status and output.

    In-process because importing the generator is most of its cost (about 1.4 s of 3.3 s of CPU
    for both specs), and one import serves every spec."""
    from openapi_python_client.cli import app

    # The post-hooks call `ruff`: make it the pinned one next to this interpreter.
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        try:
            status = app(arguments, standalone_mode=False)
        except click.exceptions.Exit as exit_:
            status = exit_.exit_code
        except click.ClickException as error:
            error.show()
            status = error.exit_code
    return (status if isinstance(status, int) else 0), output.getvalue()


def generate_package(provider: str, dest_parent: Path) -> Path:
    """Generate the ``<provider>`` package into ``dest_parent`` and return its path."""
    package = provider
    with tempfile.TemporaryDirectory(prefix=f"gen-{provider}-") as tmp:
        project = Path(tmp) / "project"
        status, output = _run_generator(
            [
                "generate",
                "--path",
                str(SPECS / f"{provider}.yaml"),
                "--config",
                str(GENERATOR / f"{provider}.yaml"),
                "--custom-template-path",
                str(GENERATOR / "templates"),
                "--meta",
                "uv",
                "--output-path",
                str(project),
                "--fail-on-warning",
            ]
        )
        if status != 0:
            sys.stderr.write(output)
            raise SystemExit(f"openapi-python-client failed for specs/{provider}.yaml")
        target = dest_parent / package
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(project / package, target, ignore=shutil.ignore_patterns(*IGNORED))
    return target


def generate_all(providers: Sequence[str], dest_parent: Path) -> list[Path]:
    """Every ``<provider>`` package, in the order given, from one import of the generator."""
    return [generate_package(provider, dest_parent) for provider in providers]


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not IGNORED.intersection(path.relative_to(root).parts):
            yield path.relative_to(root)


def diff_trees(expected: Path, actual: Path, label: str) -> list[str]:
    """Unified diff lines turning ``actual`` (the committed tree) into ``expected`` (fresh)."""
    lines: list[str] = []
    expected_files = set(_files(expected)) if expected.exists() else set()
    actual_files = set(_files(actual)) if actual.exists() else set()
    for rel in sorted(expected_files | actual_files):
        old = (actual / rel).read_text().splitlines(keepends=True) if rel in actual_files else []
        new = (
            (expected / rel).read_text().splitlines(keepends=True) if rel in expected_files else []
        )
        if old != new:
            lines.extend(
                difflib.unified_diff(
                    old,
                    new,
                    fromfile=f"{label}/{rel}" if rel in actual_files else "/dev/null",
                    tofile=f"regenerated/{rel}" if rel in expected_files else "/dev/null",
                )
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="fail with a diff when generated/ differs from a fresh generation",
    )
    parser.add_argument("providers", nargs="*", metavar="PROVIDER", help=f"any of {PROVIDERS}")
    args = parser.parse_args(argv)
    if unknown := set(args.providers) - set(PROVIDERS):
        parser.error(f"unknown provider(s) {sorted(unknown)}; choose from {PROVIDERS}")
    args.providers = args.providers or list(PROVIDERS)

    if not args.check:
        write_namespace(PACKAGES)
        for provider, path in zip(
            args.providers, generate_all(args.providers, PACKAGES), strict=True
        ):
            print(f"generated {path.relative_to(ROOT)} from specs/{provider}.yaml")
        return 0

    stale = 0
    label = f"generated/{NAMESPACE}"
    with tempfile.TemporaryDirectory(prefix="gen-check-") as tmp:
        init = write_namespace(Path(tmp))
        committed_init = PACKAGES / init.name
        if not committed_init.is_file() or committed_init.read_text() != init.read_text():
            stale += 1
            print(f"DRIFT: {label}/{init.name} is not what scripts/generate.py writes")
        fresh_packages = generate_all(args.providers, Path(tmp))
        for provider, fresh in zip(args.providers, fresh_packages, strict=True):
            committed = PACKAGES / fresh.name
            lines = diff_trees(fresh, committed, f"{label}/{fresh.name}")
            if lines:
                stale += 1
                sys.stdout.writelines(lines)
                print(f"DRIFT: {label}/{fresh.name} differs from specs/{provider}.yaml")
            else:
                count = sum(1 for _ in _files(committed))
                print(f"ok: {label}/{fresh.name} matches specs/{provider}.yaml ({count} files)")
    if stale:
        print("Run `make generate` and commit the result.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
