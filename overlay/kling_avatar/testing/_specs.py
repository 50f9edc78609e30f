"""Finding and reading the provider specs the mock is built on."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from .._registry import PROVIDERS, Provider
from .._yaml import safe_load

Spec = dict[str, Any]

_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Installed from a wheel, the specs sit next to this module; in an editable install they are
# the repository's own `specs/` folder, so the mock always serves what the specs say.
_CANDIDATES = (
    Path(__file__).resolve().parent / "specs",
    Path(__file__).resolve().parents[3] / "specs",
)


def specs_dir() -> Path:
    names = [f"{provider}.yaml" for provider in PROVIDERS]
    for candidate in _CANDIDATES:
        if all((candidate / name).is_file() for name in names):
            return candidate
    raise FileNotFoundError(
        f"the provider specs ({', '.join(names)}) are neither shipped with "
        "kling_avatar.testing nor in the repository's specs/ folder"
    )


@cache
def load_spec(provider: Provider) -> Spec:
    spec: Spec = safe_load((specs_dir() / f"{provider}.yaml").read_text(encoding="utf-8"))
    return spec


@attrs.frozen
class Route:
    """One spec operation as the mock serves it."""

    provider: Provider
    operation_id: str
    method: str  # upper case
    path: str  # the public path, e.g. /file-upload/api/file-stream-upload
    mount: str  # the internal prefix of the connexion API that validates it
    inner_path: str  # the path connexion sees: mount + the spec's own path
    # The lower-case request header that carries the key; None: the operation takes none.
    key_header: bytes | None
    # The lower-case word before the key in that header ("bearer" for "Bearer <key>"), or b"":
    # the key is the header's whole value.
    scheme: bytes
    # The path parameters of this request's path (a templated route's, once matched).
    params: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class SpecPart:
    """A slice of one spec that connexion serves under one base path."""

    provider: Provider
    mount: str
    public_prefix: str
    spec: Spec


def _server_prefix(url: str) -> str:
    # "https://uploads.example/file-upload" -> "/file-upload"
    without_scheme = url.split("://", 1)[-1]
    slash = without_scheme.find("/")
    return "" if slash < 0 else without_scheme[slash:].rstrip("/")


@cache
def spec_parts() -> tuple[SpecPart, ...]:
    """Each spec split by the server its paths live on (Apikley's uploads have their own).

    connexion takes one base path per API, so paths with their own `servers` become an API of
    their own, mounted under the path of that server's URL.
    """
    parts: list[SpecPart] = []
    for provider in PROVIDERS:
        spec = load_spec(provider)
        default_prefix = _server_prefix(spec["servers"][0]["url"])
        groups: dict[str, dict[str, Any]] = {}
        for path, item in spec["paths"].items():
            servers = item.get("servers")
            prefix = _server_prefix(servers[0]["url"]) if servers else default_prefix
            clean = {key: value for key, value in item.items() if key != "servers"}
            groups.setdefault(prefix, {})[path] = clean
        for index, (prefix, paths) in enumerate(sorted(groups.items())):
            part = copy.deepcopy({key: value for key, value in spec.items() if key != "paths"})
            part["paths"] = copy.deepcopy(paths)
            part["servers"] = [{"url": prefix or "/"}]
            parts.append(
                SpecPart(
                    provider=provider,
                    mount=f"/_{provider}{index}",
                    public_prefix=prefix,
                    spec=part,
                )
            )
    return tuple(parts)


@cache
def routes() -> dict[tuple[str, str], Route]:
    """(METHOD, public path) -> Route, for every operation of both specs."""
    table: dict[tuple[str, str], Route] = {}
    for part in spec_parts():
        for path, item in part.spec["paths"].items():
            for method in _HTTP_METHODS:
                if method in item:
                    header, scheme = _key_scheme(part.spec, item[method])
                    route = Route(
                        provider=part.provider,
                        operation_id=item[method]["operationId"],
                        method=method.upper(),
                        path=part.public_prefix + path,
                        mount=part.mount,
                        inner_path=part.mount + path,
                        key_header=header,
                        scheme=scheme,
                    )
                    table[(route.method, route.path)] = route
    return table


@cache
def _templated() -> tuple[tuple[str, re.Pattern[str], Route], ...]:
    # A `{name}` segment matches one segment; a `format: path` parameter (a model name that
    # keeps its "/") is declared as such in the spec and may span several. The paths with the
    # most fixed text are tried first: `/requests/{id}/status` before `/requests/{id}`, whose
    # parameter would otherwise take "<id>/status" too.
    found = []
    for (method, path), route in routes().items():
        if "{" in path:
            # Any characters: a decoded parameter may hold a "?" (sent as %3F) like any other.
            pattern = re.sub(r"\\\{[^/]+?\\\}", "(.+)", re.escape(path))
            found.append((method, re.compile(pattern, re.DOTALL), route))
    found.sort(key=lambda entry: -len(re.sub(r"\{[^/]+?\}", "", entry[2].path)))
    return tuple(found)


def templated_route(method: str, path: str) -> Route | None:
    """The Route of a path with parameters in it (``/Models/{model}``), for this request's path."""
    for route_method, pattern, route in _templated():
        match = pattern.fullmatch(path) if route_method == method else None
        if match is not None:
            spec_path = route.inner_path[len(route.mount) :]
            public_prefix = route.path[: len(route.path) - len(spec_path)]
            inner = route.mount + path[len(public_prefix) :]
            names = re.findall(r"\{([^/]+?)\}", route.path)
            params = dict(zip(names, match.groups(), strict=True))
            return attrs.evolve(route, path=path, inner_path=inner, params=params)
    return None


def templated_allow(path: str) -> bytes | None:
    """The methods a path with parameters in it takes, as an ``Allow`` header; None if none.

    Those of the path template a request would be routed to (the one with the most fixed
    text), not of every template matching it: `/requests/0/cancel` takes PUT only, though
    `/requests/{id}`'s parameter could take "0/cancel" too."""
    matching = [
        (method, route) for method, pattern, route in _templated() if pattern.fullmatch(path)
    ]
    if not matching:
        return None
    template = matching[0][1].path
    methods = sorted({method for method, route in matching if route.path == template})
    return ", ".join(methods).encode()


def _key_scheme(spec: Spec, operation: dict[str, Any]) -> tuple[bytes | None, bytes]:
    """Where the operation's security scheme (from the spec) puts the key: the header, and
    the word before the key in it. An operation whose `security` is empty takes no key."""
    requirements: list[dict[str, Any]] = operation.get("security", spec["security"]) or []
    if not requirements:
        return None, b""
    (name,) = requirements[0]  # each spec has one scheme, required on every operation
    scheme = spec["components"]["securitySchemes"][name]
    if scheme["type"] == "apiKey" and scheme["in"] == "header":
        # `x-value-format: "Key <key_id>:<key_secret>"`: the key follows a word of its own.
        word, _, rest = str(scheme.get("x-value-format", "")).partition(" ")
        prefix = word.lower().encode("latin-1") if rest.startswith("<") else b""
        return scheme["name"].lower().encode("latin-1"), prefix
    if scheme["type"] == "http" and scheme["scheme"].lower() == "bearer":
        return b"authorization", b"bearer"
    raise ValueError(f"the mock does not serve security scheme {name!r}")


def operation_ids(provider: Provider | None = None) -> list[str]:
    return [r.operation_id for r in routes().values() if provider in (None, r.provider)]
