"""Contains all the data models used in inputs/outputs

A model's module is imported when the model is first used (PEP 562), not all at once: a client
pays only for the models of the operations it calls.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .balance import Balance
    from .balance_response import BalanceResponse
    from .create_task_request import CreateTaskRequest
    from .create_task_request_model import CreateTaskRequestModel
    from .create_task_response import CreateTaskResponse
    from .envelope import Envelope
    from .estimate import Estimate
    from .estimate_response import EstimateResponse
    from .kling_avatar_input import KlingAvatarInput
    from .kling_avatar_input_mode import KlingAvatarInputMode
    from .model_detail import ModelDetail
    from .model_detail_input_schema import ModelDetailInputSchema
    from .model_detail_response import ModelDetailResponse
    from .model_list import ModelList
    from .model_list_response import ModelListResponse
    from .model_summary import ModelSummary
    from .response_code import ResponseCode
    from .task_created import TaskCreated
    from .task_info import TaskInfo
    from .task_info_response import TaskInfoResponse
    from .task_param import TaskParam
    from .task_result import TaskResult
    from .task_result_media_info import TaskResultMediaInfo
    from .task_result_usage import TaskResultUsage
    from .task_status import TaskStatus
    from .upload_url import UploadUrl
    from .upload_url_response import UploadUrlResponse

# Each model's name -> the module (in this package) that defines it.
_MODULES = {
    "Balance": ".balance",
    "BalanceResponse": ".balance_response",
    "CreateTaskRequest": ".create_task_request",
    "CreateTaskRequestModel": ".create_task_request_model",
    "CreateTaskResponse": ".create_task_response",
    "Envelope": ".envelope",
    "Estimate": ".estimate",
    "EstimateResponse": ".estimate_response",
    "KlingAvatarInput": ".kling_avatar_input",
    "KlingAvatarInputMode": ".kling_avatar_input_mode",
    "ModelDetail": ".model_detail",
    "ModelDetailInputSchema": ".model_detail_input_schema",
    "ModelDetailResponse": ".model_detail_response",
    "ModelList": ".model_list",
    "ModelListResponse": ".model_list_response",
    "ModelSummary": ".model_summary",
    "ResponseCode": ".response_code",
    "TaskCreated": ".task_created",
    "TaskInfo": ".task_info",
    "TaskInfoResponse": ".task_info_response",
    "TaskParam": ".task_param",
    "TaskResult": ".task_result",
    "TaskResultMediaInfo": ".task_result_media_info",
    "TaskResultUsage": ".task_result_usage",
    "TaskStatus": ".task_status",
    "UploadUrl": ".upload_url",
    "UploadUrlResponse": ".upload_url_response",
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
    "Balance",
    "BalanceResponse",
    "CreateTaskRequest",
    "CreateTaskRequestModel",
    "CreateTaskResponse",
    "Envelope",
    "Estimate",
    "EstimateResponse",
    "KlingAvatarInput",
    "KlingAvatarInputMode",
    "ModelDetail",
    "ModelDetailInputSchema",
    "ModelDetailResponse",
    "ModelList",
    "ModelListResponse",
    "ModelSummary",
    "ResponseCode",
    "TaskCreated",
    "TaskInfo",
    "TaskInfoResponse",
    "TaskParam",
    "TaskResult",
    "TaskResultMediaInfo",
    "TaskResultUsage",
    "TaskStatus",
    "UploadUrl",
    "UploadUrlResponse",
)
