"""Contains all the data models used in inputs/outputs

A model's module is imported when the model is first used (PEP 562), not all at once: a client
pays only for the models of the operations it calls.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cancel_accepted import CancelAccepted
    from .cancel_answer import CancelAnswer
    from .cancel_avatar_v1_pro_response_200 import CancelAvatarV1ProResponse200
    from .cancel_avatar_v1_standard_response_200 import (
        CancelAvatarV1StandardResponse200,
    )
    from .cancel_avatar_v2_pro_response_200 import CancelAvatarV2ProResponse200
    from .cancel_avatar_v2_standard_response_200 import (
        CancelAvatarV2StandardResponse200,
    )
    from .cancel_state import CancelState
    from .error_body import ErrorBody
    from .file import File
    from .jwk import Jwk
    from .jwks import Jwks
    from .kling_video_ai_avatar_v2_pro_input import KlingVideoAiAvatarV2ProInput
    from .kling_video_ai_avatar_v2_pro_output import KlingVideoAiAvatarV2ProOutput
    from .kling_video_ai_avatar_v2_standard_input import (
        KlingVideoAiAvatarV2StandardInput,
    )
    from .kling_video_ai_avatar_v2_standard_output import (
        KlingVideoAiAvatarV2StandardOutput,
    )
    from .kling_video_v1_pro_ai_avatar_input import KlingVideoV1ProAiAvatarInput
    from .kling_video_v1_pro_ai_avatar_output import KlingVideoV1ProAiAvatarOutput
    from .kling_video_v1_standard_ai_avatar_input import (
        KlingVideoV1StandardAiAvatarInput,
    )
    from .kling_video_v1_standard_ai_avatar_output import (
        KlingVideoV1StandardAiAvatarOutput,
    )
    from .log_entry import LogEntry
    from .logs_flag import LogsFlag
    from .no_retry import NoRetry
    from .queue_priority import QueuePriority
    from .queue_status import QueueStatus
    from .queue_status_logs_type_1 import QueueStatusLogsType1
    from .queue_status_metrics import QueueStatusMetrics
    from .queue_status_status import QueueStatusStatus
    from .queue_submitted import QueueSubmitted
    from .queue_submitted_status import QueueSubmittedStatus
    from .upload_request import UploadRequest
    from .upload_target import UploadTarget
    from .validation_error_item import ValidationErrorItem
    from .validation_error_item_ctx import ValidationErrorItemCtx
    from .webhook_payload import WebhookPayload
    from .webhook_payload_payload_type_2 import WebhookPayloadPayloadType2
    from .webhook_payload_status import WebhookPayloadStatus

# Each model's name -> the module (in this package) that defines it.
_MODULES = {
    "CancelAccepted": ".cancel_accepted",
    "CancelAnswer": ".cancel_answer",
    "CancelAvatarV1ProResponse200": ".cancel_avatar_v1_pro_response_200",
    "CancelAvatarV1StandardResponse200": ".cancel_avatar_v1_standard_response_200",
    "CancelAvatarV2ProResponse200": ".cancel_avatar_v2_pro_response_200",
    "CancelAvatarV2StandardResponse200": ".cancel_avatar_v2_standard_response_200",
    "CancelState": ".cancel_state",
    "ErrorBody": ".error_body",
    "File": ".file",
    "Jwk": ".jwk",
    "Jwks": ".jwks",
    "KlingVideoAiAvatarV2ProInput": ".kling_video_ai_avatar_v2_pro_input",
    "KlingVideoAiAvatarV2ProOutput": ".kling_video_ai_avatar_v2_pro_output",
    "KlingVideoAiAvatarV2StandardInput": ".kling_video_ai_avatar_v2_standard_input",
    "KlingVideoAiAvatarV2StandardOutput": ".kling_video_ai_avatar_v2_standard_output",
    "KlingVideoV1ProAiAvatarInput": ".kling_video_v1_pro_ai_avatar_input",
    "KlingVideoV1ProAiAvatarOutput": ".kling_video_v1_pro_ai_avatar_output",
    "KlingVideoV1StandardAiAvatarInput": ".kling_video_v1_standard_ai_avatar_input",
    "KlingVideoV1StandardAiAvatarOutput": ".kling_video_v1_standard_ai_avatar_output",
    "LogEntry": ".log_entry",
    "LogsFlag": ".logs_flag",
    "NoRetry": ".no_retry",
    "QueuePriority": ".queue_priority",
    "QueueStatus": ".queue_status",
    "QueueStatusLogsType1": ".queue_status_logs_type_1",
    "QueueStatusMetrics": ".queue_status_metrics",
    "QueueStatusStatus": ".queue_status_status",
    "QueueSubmitted": ".queue_submitted",
    "QueueSubmittedStatus": ".queue_submitted_status",
    "UploadRequest": ".upload_request",
    "UploadTarget": ".upload_target",
    "ValidationErrorItem": ".validation_error_item",
    "ValidationErrorItemCtx": ".validation_error_item_ctx",
    "WebhookPayload": ".webhook_payload",
    "WebhookPayloadPayloadType2": ".webhook_payload_payload_type_2",
    "WebhookPayloadStatus": ".webhook_payload_status",
}


def __getattr__(name: str) -> type:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    model: type = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = model  # once loaded, a plain module attribute
    return model


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULES])


__all__ = (
    "CancelAccepted",
    "CancelAnswer",
    "CancelAvatarV1ProResponse200",
    "CancelAvatarV1StandardResponse200",
    "CancelAvatarV2ProResponse200",
    "CancelAvatarV2StandardResponse200",
    "CancelState",
    "ErrorBody",
    "File",
    "Jwk",
    "Jwks",
    "KlingVideoAiAvatarV2ProInput",
    "KlingVideoAiAvatarV2ProOutput",
    "KlingVideoAiAvatarV2StandardInput",
    "KlingVideoAiAvatarV2StandardOutput",
    "KlingVideoV1ProAiAvatarInput",
    "KlingVideoV1ProAiAvatarOutput",
    "KlingVideoV1StandardAiAvatarInput",
    "KlingVideoV1StandardAiAvatarOutput",
    "LogEntry",
    "LogsFlag",
    "NoRetry",
    "QueuePriority",
    "QueueStatus",
    "QueueStatusLogsType1",
    "QueueStatusMetrics",
    "QueueStatusStatus",
    "QueueSubmitted",
    "QueueSubmittedStatus",
    "UploadRequest",
    "UploadTarget",
    "ValidationErrorItem",
    "ValidationErrorItemCtx",
    "WebhookPayload",
    "WebhookPayloadPayloadType2",
    "WebhookPayloadStatus",
)
