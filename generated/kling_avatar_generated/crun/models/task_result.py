from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.task_result_media_info import TaskResultMediaInfo
    from ..models.task_result_usage import TaskResultUsage


T = TypeVar("T", bound="TaskResult")


@_attrs_define
class TaskResult:
    """Present once the task has finished.

    Attributes:
        media_info (TaskResultMediaInfo | Unset): Facts about the generated media; its fields are not documented.
        usage (TaskResultUsage | Unset): What the task consumed; its fields are not documented.
        code (int | Unset): 200 on success, 501 when generation failed.
        message (str | Unset):
        media_urls (list[str] | Unset):
    """

    media_info: TaskResultMediaInfo | Unset = UNSET
    usage: TaskResultUsage | Unset = UNSET
    code: int | Unset = UNSET
    message: str | Unset = UNSET
    media_urls: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        media_info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.media_info, Unset):
            media_info = self.media_info.to_dict()

        usage: dict[str, Any] | Unset = UNSET
        if not isinstance(self.usage, Unset):
            usage = self.usage.to_dict()

        code = self.code

        message = self.message

        media_urls: list[str] | Unset = UNSET
        if not isinstance(self.media_urls, Unset):
            media_urls = self.media_urls

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if media_info is not UNSET:
            field_dict["media_info"] = media_info
        if usage is not UNSET:
            field_dict["usage"] = usage
        if code is not UNSET:
            field_dict["code"] = code
        if message is not UNSET:
            field_dict["message"] = message
        if media_urls is not UNSET:
            field_dict["media_urls"] = media_urls

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.task_result_media_info import TaskResultMediaInfo  # noqa: PLC0415
        from ..models.task_result_usage import TaskResultUsage  # noqa: PLC0415

        d = dict(src_dict)
        _media_info = d.pop("media_info", UNSET)
        media_info: TaskResultMediaInfo | Unset
        if isinstance(_media_info, Unset):
            media_info = UNSET
        else:
            media_info = TaskResultMediaInfo.from_dict(_media_info)

        _usage = d.pop("usage", UNSET)
        usage: TaskResultUsage | Unset
        if isinstance(_usage, Unset):
            usage = UNSET
        else:
            usage = TaskResultUsage.from_dict(_usage)

        code = d.pop("code", UNSET)

        message = d.pop("message", UNSET)

        media_urls = cast(list[str], d.pop("media_urls", UNSET))

        task_result = cls(
            media_info=media_info,
            usage=usage,
            code=code,
            message=message,
            media_urls=media_urls,
        )

        task_result.additional_properties = d
        return task_result

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
