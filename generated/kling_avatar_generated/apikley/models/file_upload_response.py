from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.file_upload_response_code import FileUploadResponseCode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.uploaded_file import UploadedFile


T = TypeVar("T", bound="FileUploadResponse")


@_attrs_define
class FileUploadResponse:
    """The file-upload API's envelope, not the Market API's `ApiResponse`.

    Attributes:
        code (FileUploadResponseCode): The file-upload API's own codes:
            - 200: the file is stored
            - 400: bad request (a parameter is missing or invalid)
            - 401: the API key is missing or invalid
            - 405: method not allowed
            - 500: server error
        success (bool | Unset): false on every error.
        msg (str | Unset):
        data (None | Unset | UploadedFile):
    """

    code: FileUploadResponseCode
    success: bool | Unset = UNSET
    msg: str | Unset = UNSET
    data: None | Unset | UploadedFile = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.uploaded_file import UploadedFile  # noqa: PLC0415

        code = self.code.value

        success = self.success

        msg = self.msg

        data: dict[str, Any] | None | Unset
        if isinstance(self.data, Unset):
            data = UNSET
        elif isinstance(self.data, UploadedFile):
            data = self.data.to_dict()
        else:
            data = self.data

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
            }
        )
        if success is not UNSET:
            field_dict["success"] = success
        if msg is not UNSET:
            field_dict["msg"] = msg
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.uploaded_file import UploadedFile  # noqa: PLC0415

        d = dict(src_dict)
        code = FileUploadResponseCode(d.pop("code"))

        success = d.pop("success", UNSET)

        msg = d.pop("msg", UNSET)

        def _parse_data(data: object) -> None | Unset | UploadedFile:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                data_type_0 = UploadedFile.from_dict(data)

                return data_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UploadedFile, data)

        data = _parse_data(d.pop("data", UNSET))

        file_upload_response = cls(
            code=code,
            success=success,
            msg=msg,
            data=data,
        )

        file_upload_response.additional_properties = d
        return file_upload_response

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
