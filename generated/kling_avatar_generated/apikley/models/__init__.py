"""Contains all the data models used in inputs/outputs"""

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
