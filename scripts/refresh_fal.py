"""Build fal's spec from its per-endpoint queue documents and our additions.

    python -m scripts.refresh --fal-source published       # fal's own documents, every endpoint
    python -m scripts.refresh --fal-source "URL-OR-FILE.."  # given copies (each names its endpoint)
    python -m scripts.refresh --fal-source kept            # rebuild from the copies kept

fal publishes one OpenAPI document per model endpoint. ``specs/upstream/fal/`` keeps one per
endpoint, byte for byte, and ``sources.yaml`` there lists the endpoints and where each document
came from. ``specs/fal.yaml`` is built, never edited:

1. each document is normalised to OpenAPI 3.0 (`normalize`): fal's documents say
   ``openapi: 3.0.4`` but are written with OpenAPI 3.1 / JSON Schema constructs that 3.0 tools
   reject;
2. the documents are merged into one (`merge`): paths side by side, a component defined in
   several documents kept once, and a conflict (a path in two documents, a component defined
   two ways) stops the build. A component's ``title`` that is not its name moves to
   ``x-fal-title``: fal's titles are the names of its Python classes, unique within one
   document but shared by endpoints (all four Kling Avatar inputs are ``AIAvatarInput``), and
   openapi-python-client names each model after its title, so two equal titles are two models of
   one name and the generation fails;
3. ``specs/fal.additions.yaml``, an OpenAPI Overlay like Apikley's, adds everything of ours.

Then the pipeline is Apikley's (``scripts/refresh.py``): spec-diff, regeneration, mypy, pytest.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import yaml
from kling_avatar._yaml import safe_load

from scripts.refresh import (
    OverlayError,
    after_build,
    build_spec,
    compare_built,
    dump_spec,
    load_document,
    read_source,
)

HEADER = """\
# BUILT FILE, do not edit. `make refresh FAL_SOURCE=...` (scripts/refresh_fal.py) writes it: fal's
# per-endpoint queue documents (specs/upstream/fal/, kept verbatim), normalised to OpenAPI 3.0 and
# merged, with our OpenAPI Overlay (specs/fal.additions.yaml) applied. Change the additions, then
# run `make refresh FAL_SOURCE=kept`.
"""
# Where fal serves each endpoint's document (the model pages' "Schema" link).
PUBLISHED = "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id={endpoint}"
TITLE_PREFIX = "Queue OpenAPI for "
# JSON null in OpenAPI 3.0, as every spec of this repository writes it; the additions define it.
JSON_NULL = "#/components/schemas/JsonNull"


class FalDocumentError(OverlayError):
    """fal's documents cannot be read, normalised or merged as they are."""


@attrs.frozen
class FalPaths:
    """Where the fal refresh reads and writes; tests point it at a temporary copy."""

    root: Path

    @property
    def upstream(self) -> Path:
        return self.root / "specs" / "upstream" / "fal"

    @property
    def manifest(self) -> Path:
        return self.upstream / "sources.yaml"

    @property
    def additions(self) -> Path:
        return self.root / "specs" / "fal.additions.yaml"

    @property
    def built(self) -> Path:
        return self.root / "specs" / "fal.yaml"

    def document(self, endpoint: str) -> Path:
        return self.upstream / (endpoint.replace("/", "--") + ".json")


@attrs.frozen
class Kept:
    """One endpoint's document: where it came from and its bytes."""

    endpoint: str
    source: str
    content: bytes


def read_kept(paths: FalPaths) -> list[Kept]:
    """The documents kept, in the manifest's order."""
    entries = safe_load(paths.manifest.read_text())
    if not isinstance(entries, list) or not entries:
        raise FalDocumentError(f"{paths.manifest}: not a list of endpoints")
    kept = []
    for entry in entries:
        endpoint, source = entry["endpoint"], entry["source"]
        kept.append(Kept(endpoint, source, paths.document(endpoint).read_bytes()))
    return kept


# --- 1. normalise ----------------------------------------------------------------------------

_COMPOSITES = ("allOf", "anyOf", "oneOf")


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _nullable(schema: dict[str, Any], key: str) -> dict[str, Any]:
    """``schema`` whose ``key`` (anyOf/oneOf) has a ``{"type": "null"}`` member, in 3.0 terms.

    One plain typed member becomes that type with ``nullable: true``, in the place the
    composite held (OpenAPI 3.0's own form, and what the generator reads as ``X | None``).
    Otherwise, and for an enum (Prism's converter appends a second null to a nullable enum, which
    then no longer compiles), null becomes a member of our ``JsonNull``.
    """
    rest = [member for member in schema[key] if not _is_null(member)]
    single: dict[str, Any] = rest[0] if len(rest) == 1 and isinstance(rest[0], dict) else {}
    plain = (
        "type" in single
        and not {"$ref", "enum", *_COMPOSITES} & set(single)
        and not set(single) & (set(schema) - {key})
    )
    if not plain:
        return {k: ([*rest, {"$ref": JSON_NULL}] if k == key else v) for k, v in schema.items()}
    result: dict[str, Any] = {}
    for name, value in schema.items():
        if name == key:
            result.update(single)
            result["nullable"] = True
        else:
            result[name] = value
    return result


def normalize_schema(schema: Any) -> Any:
    """One schema of fal's, and everything under it, as OpenAPI 3.0 reads it.

    - ``{"type": "null"}`` in ``anyOf``/``oneOf``, or ``"null"`` in a ``type`` list: see
      `_nullable`;
    - ``examples`` (a list, JSON Schema's) becomes ``example`` (3.0's), its first item;
    - ``$ref`` with sibling keys (3.0 ignores the siblings, and its validators reject them) becomes
      ``allOf: [{$ref}]`` next to them, so that the ``description`` fal wrote there stays in force.
    """
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            result[key] = {name: normalize_schema(prop) for name, prop in value.items()}
        elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
            result[key] = normalize_schema(value)
        elif key in _COMPOSITES and isinstance(value, list):
            result[key] = [normalize_schema(member) for member in value]
        else:
            result[key] = copy.deepcopy(value)
    types = result.get("type")
    if isinstance(types, list):
        concrete = [kind for kind in types if kind != "null"]
        if len(concrete) != 1:
            raise FalDocumentError(f"a schema's type list {types} has no one 3.0 equivalent")
        result["type"] = concrete[0]
        if "null" in types:
            result["nullable"] = True
    for key in ("anyOf", "oneOf"):
        if isinstance(result.get(key), list) and any(map(_is_null, result[key])):
            result = _nullable(result, key)
    if isinstance(result.get("examples"), list):
        examples = result.pop("examples")
        if examples and "example" not in result:
            result["example"] = examples[0]
    if "$ref" in result and len(result) > 1:
        reference = result.pop("$ref")
        result["allOf"] = [{"$ref": reference}]
    return result


def _map_schemas(node: Any, apply: Callable[[Any], Any]) -> Any:
    """``node`` (any part of a document but a schema) with ``apply`` run on every schema in it."""
    if isinstance(node, list):
        return [_map_schemas(item, apply) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "schema":
            result[key] = apply(value)
        elif key == "schemas" and isinstance(value, dict):
            result[key] = {name: apply(schema) for name, schema in value.items()}
        else:
            result[key] = _map_schemas(value, apply)
    return result


def normalize(document: dict[str, Any]) -> dict[str, Any]:
    """fal's document as valid OpenAPI 3.0, with nothing else changed (`normalize_schema`)."""
    normalized: dict[str, Any] = _map_schemas(document, normalize_schema)
    return normalized


# --- 2. merge --------------------------------------------------------------------------------


def endpoint_of(document: Mapping[str, Any], origin: str) -> str:
    """The endpoint id a document is for: ``info.x-fal-metadata.endpointId``, else its title."""
    info = document.get("info") or {}
    endpoint = (info.get("x-fal-metadata") or {}).get("endpointId")
    title = str(info.get("title", ""))
    if not endpoint and title.startswith(TITLE_PREFIX):
        endpoint = title.removeprefix(TITLE_PREFIX)
    if not isinstance(endpoint, str) or not endpoint:
        raise SystemExit(
            f"{origin}: names no endpoint (no info.x-fal-metadata.endpointId, and a title not "
            f"{TITLE_PREFIX!r}...): not one of fal's per-endpoint queue documents"
        )
    return endpoint


def merge(documents: Sequence[tuple[Kept, dict[str, Any]]]) -> dict[str, Any]:
    """One document from the normalised ``documents`` (each with what was kept of it)."""

    def same(key: str) -> Any:
        values = [document.get(key) for _, document in documents]
        for (kept, _), value in zip(documents[1:], values[1:], strict=True):
            if value != values[0]:
                raise FalDocumentError(
                    f"`{key}` differs between {documents[0][0].endpoint} and {kept.endpoint}"
                )
        return copy.deepcopy(values[0])

    merged: dict[str, Any] = {
        "openapi": same("openapi"),
        "info": {
            "title": "fal",
            "version": "1.0.0",
            "x-fal-documents": [
                {"endpoint": kept.endpoint, "source": kept.source, "info": document.get("info")}
                for kept, document in documents
            ],
        },
    }
    for key in documents[0][1]:
        if key not in ("openapi", "info", "paths", "components"):
            merged[key] = same(key)
    merged["paths"] = {}
    merged["components"] = {}
    owners: dict[tuple[str, ...], str] = {}
    for kept, document in documents:
        if set(document) - set(merged):
            extra = sorted(set(document) - set(merged))
            raise FalDocumentError(f"{kept.endpoint} alone has {extra}")
        for path, item in (document.get("paths") or {}).items():
            if path in merged["paths"]:
                raise FalDocumentError(
                    f"path {path} is in both {owners['paths', path]} and {kept.endpoint}"
                )
            owners["paths", path] = kept.endpoint
            merged["paths"][path] = copy.deepcopy(item)
        for section, members in (document.get("components") or {}).items():
            into = merged["components"].setdefault(section, {})
            for name, value in members.items():
                if section == "schemas":
                    value = _title_aside(name, value)
                if name in into and into[name] != value:
                    raise FalDocumentError(
                        f"components.{section}.{name} differs between "
                        f"{owners[section, name]} and {kept.endpoint}"
                    )
                owners.setdefault((section, name), kept.endpoint)
                into[name] = copy.deepcopy(value)
    return merged


def _title_aside(name: str, schema: Any) -> Any:
    """``schema`` with a ``title`` other than ``name`` kept as ``x-fal-title`` (see `merge`)."""
    if not isinstance(schema, dict) or schema.get("title", name) == name:
        return schema
    return {("x-fal-title" if key == "title" else key): value for key, value in schema.items()}


def upstream_spec(kept: Sequence[Kept]) -> dict[str, Any]:
    """The kept documents, normalised and merged: fal's text as one OpenAPI 3.0 document."""
    documents = []
    for item in kept:
        try:
            text = item.content.decode("utf-8")
        except UnicodeDecodeError:
            raise FalDocumentError(f"{item.endpoint}: not UTF-8 text") from None
        documents.append((item, normalize(load_document(text, item.source))))
    return merge(documents)


def build_text(paths: FalPaths, kept: Sequence[Kept] | None = None) -> str:
    kept = read_kept(paths) if kept is None else kept
    additions = safe_load(paths.additions.read_text())
    return dump_spec(build_spec(upstream_spec(kept), additions), HEADER)


# --- 3. the pipeline -------------------------------------------------------------------------


def take(paths: FalPaths, sources: Sequence[str]) -> list[Kept]:
    """The kept documents with each of ``sources`` (URLs or files) in its endpoint's place."""
    kept = read_kept(paths)
    if list(sources) == ["kept"]:
        return kept
    if list(sources) == ["published"]:
        sources = [PUBLISHED.format(endpoint=item.endpoint) for item in kept]
    by_endpoint = {item.endpoint: item for item in kept}
    taken: dict[str, Kept] = {}
    for source in sources:
        content = read_source(source)
        try:
            document = load_document(content.decode("utf-8"), source)
        except UnicodeDecodeError:
            raise SystemExit(f"{source}: not UTF-8 text, so not a JSON or YAML document") from None
        endpoint = endpoint_of(document, source)
        if endpoint not in by_endpoint:
            raise SystemExit(
                f"{source}: is the document of {endpoint}, which is not one of the endpoints in "
                f"{paths.manifest.relative_to(paths.root)} ({', '.join(by_endpoint)}); add it "
                "there (and its operations to specs/fal.additions.yaml) to take it"
            )
        if endpoint in taken:
            raise SystemExit(f"{source}: a second document for {endpoint}")
        taken[endpoint] = Kept(endpoint, source, content)
    return [taken.get(item.endpoint, item) for item in kept]


def refresh_fal(
    paths: FalPaths,
    sources: Sequence[str],
    *,
    generate: bool = True,
    checks: bool = True,
    fail_on_breaking: bool = False,
) -> int:
    """The whole fal pipeline; returns the exit status."""
    old_built = paths.built.read_text() if paths.built.exists() else "{}"
    old_kept = read_kept(paths)
    new_kept = take(paths, sources)
    try:
        new_built = build_text(paths, new_kept)
    except OverlayError as error:
        print(f"specs/fal.additions.yaml no longer fits fal's documents: {error}")
        print("Nothing was written. Adjust the additions (see info.x-deviations) and rerun.")
        return 1
    # The documents, the list of their sources and the spec change only once the build succeeded.
    for old, new in zip(old_kept, new_kept, strict=True):
        if new is not old:
            paths.document(new.endpoint).write_bytes(new.content)
            print(f"kept {new.source} verbatim as {paths.document(new.endpoint).name}")
    manifest = [{"endpoint": item.endpoint, "source": item.source} for item in new_kept]
    paths.manifest.write_text(yaml.safe_dump(manifest, sort_keys=False, width=100))
    paths.built.write_text(new_built)
    print(f"built {paths.built.relative_to(paths.root)} from fal's documents and the additions")
    return after_build(
        paths.root,
        "fal",
        old_built,
        new_built,
        source_changed=[item.content for item in new_kept] != [item.content for item in old_kept],
        generate=generate,
        checks=checks,
        fail_on_breaking=fail_on_breaking,
    )


def check_fal(paths: FalPaths) -> int:
    """Non-zero, with a diff, when specs/fal.yaml is not what the build gives."""
    return compare_built(paths.root, paths.built, build_text(paths), paths.additions)
