from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_callback_code import TaskCallbackCode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.task_record import TaskRecord


T = TypeVar("T", bound="TaskCallback")


@_attrs_define
class TaskCallback:
    """
    Attributes:
        code (TaskCallbackCode):
        data (TaskRecord):
        msg (str | Unset): "Playground task completed successfully." or "Playground task failed."
    """

    code: TaskCallbackCode
    data: TaskRecord
    msg: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code.value

        data = self.data.to_dict()

        msg = self.msg

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "data": data,
            }
        )
        if msg is not UNSET:
            field_dict["msg"] = msg

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.task_record import TaskRecord  # noqa: PLC0415

        d = dict(src_dict)
        code = TaskCallbackCode(d.pop("code"))

        data = TaskRecord.from_dict(d.pop("data"))

        msg = d.pop("msg", UNSET)

        task_callback = cls(
            code=code,
            data=data,
            msg=msg,
        )

        task_callback.additional_properties = d
        return task_callback

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
