from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.cancel_state import CancelState
from ..types import UNSET, Unset

T = TypeVar("T", bound="CancelAvatarV2StandardResponse200")


@_attrs_define
class CancelAvatarV2StandardResponse200:
    """
    Attributes:
        success (bool | Unset): Whether the request was cancelled successfully.
        status (CancelState | Unset): The statuses fal's cancel page lists.
    """

    success: bool | Unset = UNSET
    status: CancelState | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if success is not UNSET:
            field_dict["success"] = success
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        success = d.pop("success", UNSET)

        _status = d.pop("status", UNSET)
        status: CancelState | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = CancelState(_status)

        cancel_avatar_v2_standard_response_200 = cls(
            success=success,
            status=status,
        )

        cancel_avatar_v2_standard_response_200.additional_properties = d
        return cancel_avatar_v2_standard_response_200

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
