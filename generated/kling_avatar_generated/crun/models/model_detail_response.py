from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.response_code import ResponseCode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.model_detail import ModelDetail


T = TypeVar("T", bound="ModelDetailResponse")


@_attrs_define
class ModelDetailResponse:
    """
    Attributes:
        code (ResponseCode): Response status code
            - 200: Success - Request has been processed successfully
            - 401: Unauthorized - Authentication credentials are missing or invalid
            - 402: Insufficient Credits - Account does not have enough credits to perform the operation
            - 404: Not Found - The requested resource or endpoint does not exist
            - 422: Validation Error - The request parameters failed validation checks
            - 429: Rate Limited - Request limit has been exceeded for this resource
            - 455: Service Unavailable - System is currently undergoing maintenance
            - 500: Server Error - An unexpected error occurred while processing the request
            - 501: Generation Failed - Content generation task failed
            - 505: Feature Disabled - The requested feature is currently disabled
        message (str): Response message, error description when failed Example: success.
        data (ModelDetail | None | Unset):
    """

    code: ResponseCode
    message: str
    data: ModelDetail | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.model_detail import ModelDetail  # noqa: PLC0415

        code = self.code.value

        message = self.message

        data: dict[str, Any] | None | Unset
        if isinstance(self.data, Unset):
            data = UNSET
        elif isinstance(self.data, ModelDetail):
            data = self.data.to_dict()
        else:
            data = self.data

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
            }
        )
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.model_detail import ModelDetail  # noqa: PLC0415

        d = dict(src_dict)
        code = ResponseCode(d.pop("code"))

        message = d.pop("message")

        def _parse_data(data: object) -> ModelDetail | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                data_type_0 = ModelDetail.from_dict(data)

                return data_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ModelDetail | None | Unset, data)

        data = _parse_data(d.pop("data", UNSET))

        model_detail_response = cls(
            code=code,
            message=message,
            data=data,
        )

        model_detail_response.additional_properties = d
        return model_detail_response

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
