"""Contains all the data models used in inputs/outputs"""

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
