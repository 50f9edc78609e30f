"""What a change is: where, what kind, and whether it breaks a caller of our clients."""

from __future__ import annotations

import enum

import attrs


class Kind(enum.StrEnum):
    OPERATION_REMOVED = "operation removed"
    OPERATION_ADDED = "operation added"
    PATH_RENAMED = "path renamed"
    OPERATION_ID_CHANGED = "operationId changed"
    PARAMETER_REMOVED = "parameter removed"
    PARAMETER_ADDED = "parameter added"
    BODY_REMOVED = "request body removed"
    BODY_ADDED = "request body added"
    MEDIA_TYPE_REMOVED = "media type removed"
    MEDIA_TYPE_ADDED = "media type added"
    RESPONSE_REMOVED = "response removed"
    RESPONSE_ADDED = "response added"
    HEADER_REMOVED = "header removed"
    HEADER_ADDED = "header added"
    FIELD_REMOVED = "field removed"
    FIELD_ADDED = "field added"
    REQUIRED_CHANGED = "required changed"
    TYPE_CHANGED = "type changed"
    ENUM_VALUE_REMOVED = "enum value removed"
    ENUM_VALUE_ADDED = "enum value added"
    CONSTRAINT_CHANGED = "constraint changed"
    NULLABLE_CHANGED = "nullable changed"
    DEFAULT_CHANGED = "default changed"
    AUTH_CHANGED = "auth changed"
    SERVER_CHANGED = "server changed"
    CALLBACK_REMOVED = "callback removed"
    CALLBACK_ADDED = "callback added"
    TEXT_CHANGED = "text changed"


class Direction(enum.Enum):
    """Who writes the data: the caller (a request) or the provider (a response, a callback)."""

    REQUEST = "request"
    RESPONSE = "response"


@attrs.frozen
class Change:
    breaking: bool
    kind: Kind
    where: str  # the operation ("POST /api/v1/jobs/createTask") or the spec-wide part
    detail: str  # readable: what changed inside it

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"
