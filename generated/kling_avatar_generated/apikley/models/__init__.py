"""Contains all the data models used in inputs/outputs

A model's module is imported when the model is first used (PEP 562), not all at once: a client
pays only for the models of the operations it calls.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .api_response import ApiResponse
    from .api_response_code import ApiResponseCode
    from .download_url_request import DownloadUrlRequest
    from .file_base_64_upload_request import FileBase64UploadRequest
    from .file_stream_upload_request import FileStreamUploadRequest
    from .file_upload_response import FileUploadResponse
    from .file_upload_response_code import FileUploadResponseCode
    from .file_url_upload_request import FileUrlUploadRequest
    from .get_credits_response_200 import GetCreditsResponse200
    from .get_download_url_response_200 import GetDownloadUrlResponse200
    from .get_task_details_response_200 import GetTaskDetailsResponse200
    from .kling_ai_avatar_v1_pro_body import KlingAiAvatarV1ProBody
    from .kling_ai_avatar_v1_pro_body_input import KlingAiAvatarV1ProBodyInput
    from .kling_ai_avatar_v1_pro_body_model import KlingAiAvatarV1ProBodyModel
    from .kling_ai_avatar_v1_pro_response_200 import KlingAiAvatarV1ProResponse200
    from .task_callback import TaskCallback
    from .task_callback_code import TaskCallbackCode
    from .task_created import TaskCreated
    from .task_query_error import TaskQueryError
    from .task_record import TaskRecord
    from .task_state import TaskState
    from .uploaded_file import UploadedFile

# Each model's name -> the module (in this package) that defines it.
_MODULES = {
    "ApiResponse": ".api_response",
    "ApiResponseCode": ".api_response_code",
    "DownloadUrlRequest": ".download_url_request",
    "FileBase64UploadRequest": ".file_base_64_upload_request",
    "FileStreamUploadRequest": ".file_stream_upload_request",
    "FileUploadResponse": ".file_upload_response",
    "FileUploadResponseCode": ".file_upload_response_code",
    "FileUrlUploadRequest": ".file_url_upload_request",
    "GetCreditsResponse200": ".get_credits_response_200",
    "GetDownloadUrlResponse200": ".get_download_url_response_200",
    "GetTaskDetailsResponse200": ".get_task_details_response_200",
    "KlingAiAvatarV1ProBody": ".kling_ai_avatar_v1_pro_body",
    "KlingAiAvatarV1ProBodyInput": ".kling_ai_avatar_v1_pro_body_input",
    "KlingAiAvatarV1ProBodyModel": ".kling_ai_avatar_v1_pro_body_model",
    "KlingAiAvatarV1ProResponse200": ".kling_ai_avatar_v1_pro_response_200",
    "TaskCallback": ".task_callback",
    "TaskCallbackCode": ".task_callback_code",
    "TaskCreated": ".task_created",
    "TaskQueryError": ".task_query_error",
    "TaskRecord": ".task_record",
    "TaskState": ".task_state",
    "UploadedFile": ".uploaded_file",
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
    "ApiResponse",
    "ApiResponseCode",
    "DownloadUrlRequest",
    "FileBase64UploadRequest",
    "FileStreamUploadRequest",
    "FileUploadResponse",
    "FileUploadResponseCode",
    "FileUrlUploadRequest",
    "GetCreditsResponse200",
    "GetDownloadUrlResponse200",
    "GetTaskDetailsResponse200",
    "KlingAiAvatarV1ProBody",
    "KlingAiAvatarV1ProBodyInput",
    "KlingAiAvatarV1ProBodyModel",
    "KlingAiAvatarV1ProResponse200",
    "TaskCallback",
    "TaskCallbackCode",
    "TaskCreated",
    "TaskQueryError",
    "TaskRecord",
    "TaskState",
    "UploadedFile",
)
