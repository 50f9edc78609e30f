from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.api_response_code import ApiResponseCode
from ..types import UNSET, Unset

T = TypeVar("T", bound="GetCreditsResponse200")


@_attrs_define
class GetCreditsResponse200:
    """
    Attributes:
        code (ApiResponseCode): Response status code

            - **200**: Success - Request has been processed successfully
            - **401**: Unauthorized - Authentication credentials are missing or invalid
            - **402**: Insufficient Credits - Account does not have enough credits to perform the operation
            - **404**: Not Found - The requested resource or endpoint does not exist
            - **422**: Validation Error - The request parameters failed validation checks
            - **429**: Rate Limited - Request limit has been exceeded for this resource
            - **455**: Service Unavailable - System is currently undergoing maintenance
            - **500**: Server Error - An unexpected error occurred while processing the request
            - **501**: Generation Failed - Content generation task failed
            - **505**: Feature Disabled - The requested feature is currently disabled
        msg (str | Unset): Response message, error description when failed Example: success.
        message (str | Unset): The same message; the Get Task Details page answers `message` where kie.ai answers `msg`.
        data (float | None | Unset): Remaining credits.
    """

    code: ApiResponseCode
    msg: str | Unset = UNSET
    message: str | Unset = UNSET
    data: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code.value

        msg = self.msg

        message = self.message

        data: float | None | Unset
        if isinstance(self.data, Unset):
            data = UNSET
        else:
            data = self.data

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
            }
        )
        if msg is not UNSET:
            field_dict["msg"] = msg
        if message is not UNSET:
            field_dict["message"] = message
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = ApiResponseCode(d.pop("code"))

        msg = d.pop("msg", UNSET)

        message = d.pop("message", UNSET)

        def _parse_data(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        data = _parse_data(d.pop("data", UNSET))

        get_credits_response_200 = cls(
            code=code,
            msg=msg,
            message=message,
            data=data,
        )

        get_credits_response_200.additional_properties = d
        return get_credits_response_200

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
