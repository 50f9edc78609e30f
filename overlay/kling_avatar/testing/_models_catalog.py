"""crun's Models endpoints on the mock: the one model it serves, described from the spec.

CrunTeam's own CLI calls `GET /api/v1/client/job/Models` and `/Models/{model}`; the mock answers
them from `specs/crun.yaml` itself, so the input schema it describes is the one it validates.
"""

from __future__ import annotations

from typing import Any

from ._specs import load_spec
from ._state import MockState

Body = dict[str, Any]

MODEL = "kling/avatar"
# CrunTeam's own catalogue (catalog/models.json) tags it both ways, and its CLI filters on either.
SUMMARY = {"model": MODEL, "modality": "video", "operations": ["talking-avatar", "image-to-video"]}


def _answer(code: int, message: str, data: Any = None) -> Body:
    return {"code": code, "message": message, "data": data}  # crun's envelope


def _input_schema() -> dict[str, Any]:
    schemas = load_spec("crun")["components"]["schemas"]
    source = schemas["KlingAvatarInput"]
    properties = {
        name: {k: v for k, v in prop.items() if not k.startswith("x-")}
        for name, prop in source["properties"].items()
    }
    return {"type": "object", "properties": properties, "required": list(source["required"])}


async def crun_list_models(
    state: MockState, modality: str | None = None, operation: str | None = None, **_: Any
) -> Body:
    matches = (modality in (None, SUMMARY["modality"])) and (
        operation is None or operation in SUMMARY["operations"]
    )
    models = [SUMMARY] if matches else []
    return _answer(200, "success", {"total": len(models), "models": models})


async def crun_describe_model(state: MockState, model: str, **_: Any) -> Body:
    if model != MODEL:
        return _answer(404, f"Model not found: {model}")
    schema = _input_schema()
    data = {"model": MODEL, "input_schema": schema, "required_input_fields": schema["required"]}
    return _answer(200, "success", data)
