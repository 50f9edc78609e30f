from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UploadedFile")


@_attrs_define
class UploadedFile:
    """
    Attributes:
        download_url (str):
        success (bool | Unset):
        file_name (str | Unset):
        file_path (str | Unset):
        file_size (int | Unset):
        mime_type (str | Unset):
        uploaded_at (str | Unset):
    """

    download_url: str
    success: bool | Unset = UNSET
    file_name: str | Unset = UNSET
    file_path: str | Unset = UNSET
    file_size: int | Unset = UNSET
    mime_type: str | Unset = UNSET
    uploaded_at: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        download_url = self.download_url

        success = self.success

        file_name = self.file_name

        file_path = self.file_path

        file_size = self.file_size

        mime_type = self.mime_type

        uploaded_at = self.uploaded_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "downloadUrl": download_url,
            }
        )
        if success is not UNSET:
            field_dict["success"] = success
        if file_name is not UNSET:
            field_dict["fileName"] = file_name
        if file_path is not UNSET:
            field_dict["filePath"] = file_path
        if file_size is not UNSET:
            field_dict["fileSize"] = file_size
        if mime_type is not UNSET:
            field_dict["mimeType"] = mime_type
        if uploaded_at is not UNSET:
            field_dict["uploadedAt"] = uploaded_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        download_url = d.pop("downloadUrl")

        success = d.pop("success", UNSET)

        file_name = d.pop("fileName", UNSET)

        file_path = d.pop("filePath", UNSET)

        file_size = d.pop("fileSize", UNSET)

        mime_type = d.pop("mimeType", UNSET)

        uploaded_at = d.pop("uploadedAt", UNSET)

        uploaded_file = cls(
            download_url=download_url,
            success=success,
            file_name=file_name,
            file_path=file_path,
            file_size=file_size,
            mime_type=mime_type,
            uploaded_at=uploaded_at,
        )

        uploaded_file.additional_properties = d
        return uploaded_file

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
