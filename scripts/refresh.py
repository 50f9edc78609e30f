"""Refresh Apikley's spec from its published document, then show what changed and what broke.

    python -m scripts.refresh --source URL-OR-FILE   # take a new published document
    python -m scripts.refresh                        # rebuild from the upstream copy we keep
    python -m scripts.refresh --check                # fail when a built spec is stale
    python -m scripts.refresh --crun-source FILE     # crun: which spec elements' sentence changed
    python -m scripts.refresh --fal-source SOURCES   # fal: see scripts/refresh_fal.py

``specs/apikley.yaml`` is built, never edited: it is ``specs/upstream/apikley.yaml`` (Apikley's
document, kept byte for byte as published) with ``specs/apikley.additions.yaml`` applied, an
OpenAPI Overlay 1.1 document holding everything that is ours (endpoints, provenance, and the
deviations listed in ``info.x-deviations``). So a refresh never hand-merges Apikley's text, and
an addition that no longer fits the new text stops the build instead of vanishing silently.

After the build the pipeline shows ``spec-diff`` old vs new, regenerates the Apikley client,
shows ``git diff --stat generated/``, and runs mypy and pytest to tell whether the hand-written
overlay package still fits the regenerated client. Those two run only when there is something
for them to find: the spec or the generated client changed in this refresh, or differs from the
last commit (a refresh whose checks failed, then rerun); otherwise they are skipped, and
``make test`` remains the way to run everything.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import httpx
import yaml
from kling_avatar._yaml import safe_load
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from scripts.specdiff import diff_specs, render_report

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# BUILT FILE, do not edit. `make refresh` (scripts/refresh.py) writes it: Apikley's published
# document (specs/upstream/apikley.yaml, kept verbatim) with our OpenAPI Overlay
# (specs/apikley.additions.yaml) applied. Change the additions, then run `make refresh`.
"""


class OverlayError(Exception):
    """An overlay action does not fit the document it is applied to."""


@attrs.frozen
class Paths:
    """Where the refresh reads and writes; tests point it at a temporary copy."""

    root: Path

    @property
    def upstream(self) -> Path:
        return self.root / "specs" / "upstream" / "apikley.yaml"

    @property
    def additions(self) -> Path:
        return self.root / "specs" / "apikley.additions.yaml"

    @property
    def built(self) -> Path:
        return self.root / "specs" / "apikley.yaml"


# --- the overlay ---------------------------------------------------------------------------

# A target is a singular JSONPath (RFC 9535): `$` then `.name`, `['name']` or `[index]` steps.
# That is all the additions need, and it makes "selects nothing" an error we can name.
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


def parse_target(target: str) -> list[str | int]:
    if not target.startswith("$"):
        raise OverlayError(f"target {target!r} does not start with $")
    steps: list[str | int] = []
    position = 1
    while position < len(target):
        match = _STEP.match(target, position)
        if match is None:
            raise OverlayError(f"target {target!r}: unsupported syntax at {target[position:]!r}")
        name, quoted, index = match.groups()
        if name is not None:
            steps.append(name)
        elif quoted is not None:
            steps.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            steps.append(int(index))
        position = match.end()
    return steps


def _select(document: Any, target: str) -> tuple[Any, str | int | None]:
    """The parent of the node ``target`` selects and its key (``None`` for the root)."""
    steps = parse_target(target)
    parent: Any = None
    node = document
    for depth, step in enumerate(steps):
        found = (isinstance(node, dict) and isinstance(step, str) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and step < len(node)
        )
        if not found:
            where = "$" + "".join(f"[{s!r}]" for s in steps[:depth])
            raise OverlayError(f"target {target!r} selects nothing: no {step!r} under {where}")
        parent, node = node, node[step]
    return parent, (steps[-1] if steps else None)


def _merge(target: Any, update: Any, where: str) -> Any:
    """Overlay merge: objects merge key by key, an array target gets the update appended,
    anything else is replaced. Merging an array into an array property is refused: whether
    that appends or replaces is exactly what a reader of the additions should not have to guess.
    """
    if isinstance(target, list):
        return [*target, copy.deepcopy(update)]
    if isinstance(target, dict) and isinstance(update, dict):
        merged = dict(target)
        for key, value in update.items():
            if key not in merged:
                merged[key] = copy.deepcopy(value)
            elif isinstance(merged[key], list):
                raise OverlayError(
                    f"{where}.{key} is already an array upstream; target it to append"
                )
            else:
                merged[key] = _merge(merged[key], value, f"{where}.{key}")
        return merged
    return copy.deepcopy(update)


def apply_overlay(document: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the actions of an Overlay 1.0/1.1 ``overlay`` applied, in order."""
    if not str(overlay.get("overlay", "")).startswith(("1.0.", "1.1.")):
        raise OverlayError(f"unsupported overlay version {overlay.get('overlay')!r}")
    result = copy.deepcopy(document)
    for number, action in enumerate(overlay["actions"], start=1):
        target = action["target"]
        verbs = [verb for verb in ("update", "remove", "copy") if verb in action]
        if len(verbs) != 1:
            raise OverlayError(f"action {number} ({target}): needs one of update, remove, copy")
        try:
            parent, key = _select(result, target)
            if action.get("remove"):
                if parent is None:
                    raise OverlayError("cannot remove the root")
                del parent[key]
                continue
            if "copy" in action:
                source_parent, source_key = _select(result, action["copy"])
                update = result if source_parent is None else source_parent[source_key]
            else:
                update = action["update"]
            node = result if parent is None else parent[key]
            merged = _merge(node, update, target)
            if parent is None:
                result = merged
            else:
                parent[key] = merged
        except OverlayError as error:
            raise OverlayError(
                f"action {number} ({action.get('description', target)}): {error}"
            ) from None
    return result


# --- the build -----------------------------------------------------------------------------


def load_document(text: str, origin: str) -> dict[str, Any]:
    """A published OpenAPI document, JSON or YAML (JSON is YAML)."""
    try:
        document = safe_load(text)
    except yaml.YAMLError as error:
        raise SystemExit(f"{origin}: neither JSON nor YAML: {error}") from None
    if not isinstance(document, dict) or "openapi" not in document or "paths" not in document:
        raise SystemExit(f"{origin}: not an OpenAPI document (no `openapi` and `paths`)")
    return document


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _sort_responses(path_item: dict[str, Any]) -> None:
    # Generated clients test status codes in the order the spec lists them, and the overlay
    # appends: sorting keeps the generated code independent of where an addition landed.
    for method in METHODS:
        operation = path_item.get(method)
        if not isinstance(operation, dict):
            continue
        if isinstance(responses := operation.get("responses"), dict):
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: str(kv[0])))
        for callback in (operation.get("callbacks") or {}).values():
            for callback_item in callback.values():
                _sort_responses(callback_item)


def build_spec(upstream: dict[str, Any], additions: dict[str, Any]) -> dict[str, Any]:
    """Our spec: the upstream document with the additions applied, checked as OpenAPI."""
    spec = apply_overlay(upstream, additions)
    for path_item in (spec.get("paths") or {}).values():
        _sort_responses(path_item)
    try:
        validate(spec)
    except OpenAPIValidationError as error:
        raise OverlayError(f"the built spec is not valid OpenAPI: {error.message}") from None
    return spec


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text, indented lists, no anchors: people read the output."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, indentless=False)


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_spec(spec: dict[str, Any], header: str = HEADER) -> str:
    """Deterministic YAML: keys in document order (upstream's, then the additions')."""
    body = yaml.dump(spec, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    return header + body


def build_text(paths: Paths, upstream_text: str | None = None) -> str:
    upstream_text = paths.upstream.read_text() if upstream_text is None else upstream_text
    upstream = load_document(upstream_text, str(paths.upstream))
    additions = safe_load(paths.additions.read_text())
    return dump_spec(build_spec(upstream, additions))


# --- the pipeline --------------------------------------------------------------------------


def read_source(source: str) -> bytes:
    """The published document's bytes, from a URL or a local file."""
    try:
        if re.match(r"https?://", source):
            response = httpx.get(source, follow_redirects=True, timeout=30.0)
            response.raise_for_status()
            return response.content
        return Path(source).read_bytes()
    except (httpx.HTTPError, OSError) as error:
        raise SystemExit(f"{source}: cannot read it: {error}") from None


def _run(title: str, command: Sequence[str], root: Path, *, capture: bool = False) -> bool:
    shown = " ".join("python" if part == sys.executable else part for part in command)
    print(f"\n== {title}: {shown}", flush=True)
    if not capture:
        return subprocess.run(command, cwd=root, check=False).returncode == 0
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    print((done.stdout + done.stderr).rstrip("\n") or "(none)")
    return done.returncode == 0


def _tree_digest(folder: Path) -> str:
    """One hash over every file's path and bytes (caches excluded): did regeneration change it?"""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _uncommitted(root: Path) -> bool:
    """True when specs/ or generated/ differ from the last commit, or when git cannot tell."""
    command = ["git", "status", "--porcelain", "--", "specs/", "generated/"]
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    except OSError:
        return True
    return done.returncode != 0 or bool(done.stdout.strip())


def refresh(
    paths: Paths,
    source: str | None,
    *,
    generate: bool = True,
    checks: bool = True,
    fail_on_breaking: bool = False,
) -> int:
    """The whole pipeline; returns the exit status."""
    old_built = paths.built.read_text() if paths.built.exists() else "{}"
    old_upstream = paths.upstream.read_bytes() if paths.upstream.exists() else b""
    new_upstream = read_source(source) if source else paths.upstream.read_bytes()
    try:
        new_built = build_text(paths, new_upstream.decode("utf-8"))
    except UnicodeDecodeError:
        raise SystemExit(f"{source}: not UTF-8 text, so not a JSON or YAML document") from None
    except OverlayError as error:
        print(f"specs/apikley.additions.yaml no longer fits the published document: {error}")
        print("Nothing was written. Adjust the additions (see info.x-deviations) and rerun.")
        return 1
    # Both files change only once the build has succeeded.
    if source:
        paths.upstream.write_bytes(new_upstream)
        print(f"kept {source} verbatim as {paths.upstream.relative_to(paths.root)}")
    paths.built.write_text(new_built)
    print(f"built {paths.built.relative_to(paths.root)} from the upstream copy and the additions")
    return after_build(
        paths.root,
        "apikley",
        old_built,
        new_built,
        source_changed=source is not None and new_upstream != old_upstream,
        generate=generate,
        checks=checks,
        fail_on_breaking=fail_on_breaking,
    )


def after_build(
    root: Path,
    provider: str,
    old_built: str,
    new_built: str,
    *,
    source_changed: bool,
    generate: bool,
    checks: bool,
    fail_on_breaking: bool,
) -> int:
    """What follows writing ``specs/<provider>.yaml``: spec-diff, regeneration, mypy and
    pytest; returns the exit status."""
    print(f"\n== spec-diff: specs/{provider}.yaml before -> after")
    changes = diff_specs(safe_load(old_built) or {}, safe_load(new_built))
    print(render_report(changes, "before", "after"))
    breaking = sum(change.breaking for change in changes)
    results = {"spec-diff": f"{breaking} breaking, {len(changes) - breaking} non-breaking"}

    def step(name: str, title: str, command: Sequence[str], *, capture: bool = False) -> None:
        results[name] = "ok" if _run(title, command, root, capture=capture) else "FAILED"

    generated = root / "generated" / "kling_avatar_generated" / provider
    changed = new_built != old_built or source_changed
    if generate:
        before = _tree_digest(generated)
        step("regenerate", "regenerate", [sys.executable, "scripts/generate.py", provider])
        changed = changed or _tree_digest(generated) != before
        stat = ["git", "diff", "--stat", "--", "generated/"]
        _run("what regeneration changed", stat, root, capture=True)
        untracked = ["git", "ls-files", "--others", "--exclude-standard", "--", "generated/"]
        _run("new generated files", untracked, root, capture=True)
    if checks and not (changed or _uncommitted(root)):
        # The spec and the client are what the last commit has, which its own checks covered:
        # four minutes of mypy and pytest could not find anything new.
        print("\n== mypy and pytest skipped: specs/ and generated/ are unchanged (`make test`)")
        results["checks"] = "skipped, nothing changed"
    elif checks:
        step("mypy", "does overlay/ still fit: type check", [sys.executable, "-m", "mypy"])
        step("pytest", "tests", [sys.executable, "-m", "pytest", "-q"])
    print("\n== refresh: " + "; ".join(f"{name} {result}" for name, result in results.items()))
    if "FAILED" in results.values():
        return 1
    if breaking and fail_on_breaking:
        print("FAIL_ON_BREAKING is set and callers are broken.")
        return 1
    return 0


def check(paths: Paths) -> int:
    """Non-zero, with a diff, when specs/apikley.yaml is not what the build gives."""
    return compare_built(paths.root, paths.built, build_text(paths), paths.additions)


def compare_built(root: Path, built: Path, expected: str, additions: Path) -> int:
    """Non-zero, with a diff, when the committed ``built`` is not ``expected``."""
    actual = built.read_text()
    name = built.relative_to(root)
    if expected == actual:
        print(f"ok: {name} is the build of upstream + additions")
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            actual.splitlines(keepends=True), expected.splitlines(keepends=True), str(name), "built"
        )
    )
    print(f"{name} was edited by hand: move the edit into {additions.relative_to(root)}")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="URL or file of Apikley's published OpenAPI document")
    parser.add_argument("--check", action="store_true", help="only check the built specs")
    parser.add_argument("--no-generate", action="store_true", help="skip regeneration")
    parser.add_argument("--no-checks", action="store_true", help="skip mypy and pytest")
    parser.add_argument("--fail-on-breaking", action="store_true")
    parser.add_argument(
        "--crun-source", help="URL or file of a new copy of crun's kling/avatar page"
    )
    parser.add_argument(
        "--fal-source",
        help="fal's per-endpoint documents: `published` (fal's own), `kept` (the copies in "
        "specs/upstream/fal/), or URLs and files separated by spaces",
    )
    args = parser.parse_args(argv)
    paths = Paths(ROOT)
    if args.crun_source:
        from scripts.refresh_crun import main_crun

        return main_crun(paths.root, read_source(args.crun_source))
    # Imported here: scripts.refresh_fal builds on this module.
    from scripts.refresh_fal import FalPaths, check_fal, refresh_fal

    if args.check:
        return max(check(paths), check_fal(FalPaths(ROOT)))
    if args.fal_source:
        return refresh_fal(
            FalPaths(ROOT),
            args.fal_source.split(),
            generate=not args.no_generate,
            checks=not args.no_checks,
            fail_on_breaking=args.fail_on_breaking,
        )
    return refresh(
        paths,
        args.source or None,
        generate=not args.no_generate,
        checks=not args.no_checks,
        fail_on_breaking=args.fail_on_breaking,
    )


if __name__ == "__main__":
    raise SystemExit(main())
