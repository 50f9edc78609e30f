from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status import TaskStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.task_param import TaskParam
    from ..models.task_result import TaskResult


T = TypeVar("T", bound="TaskInfo")


@_attrs_define
class TaskInfo:
    """
    Attributes:
        task_id (str):
        status (TaskStatus): `success` and `failed` are terminal (CrunTeam's task-runner skill: pending and running are
            not finished).
        provider (None | str | Unset):
        model_version (None | str | Unset):
        param (None | TaskParam | Unset): The original request, as an object.
        create_at (int | None | Unset): A timestamp, probably Unix seconds.
        result (None | TaskResult | Unset):
        duration_s (float | None | Unset):
        complete_at (int | None | Unset): A timestamp, probably Unix seconds (like `create_at`).
        source (None | str | Unset):
        credits_ (float | None | Unset): Credits the task cost. When it appears is not stated anywhere.
    """

    task_id: str
    status: TaskStatus
    provider: None | str | Unset = UNSET
    model_version: None | str | Unset = UNSET
    param: None | TaskParam | Unset = UNSET
    create_at: int | None | Unset = UNSET
    result: None | TaskResult | Unset = UNSET
    duration_s: float | None | Unset = UNSET
    complete_at: int | None | Unset = UNSET
    source: None | str | Unset = UNSET
    credits_: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.task_param import TaskParam  # noqa: PLC0415
        from ..models.task_result import TaskResult  # noqa: PLC0415

        task_id = self.task_id

        status = self.status.value

        provider: None | str | Unset
        if isinstance(self.provider, Unset):
            provider = UNSET
        else:
            provider = self.provider

        model_version: None | str | Unset
        if isinstance(self.model_version, Unset):
            model_version = UNSET
        else:
            model_version = self.model_version

        param: dict[str, Any] | None | Unset
        if isinstance(self.param, Unset):
            param = UNSET
        elif isinstance(self.param, TaskParam):
            param = self.param.to_dict()
        else:
            param = self.param

        create_at: int | None | Unset
        if isinstance(self.create_at, Unset):
            create_at = UNSET
        else:
            create_at = self.create_at

        result: dict[str, Any] | None | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        elif isinstance(self.result, TaskResult):
            result = self.result.to_dict()
        else:
            result = self.result

        duration_s: float | None | Unset
        if isinstance(self.duration_s, Unset):
            duration_s = UNSET
        else:
            duration_s = self.duration_s

        complete_at: int | None | Unset
        if isinstance(self.complete_at, Unset):
            complete_at = UNSET
        else:
            complete_at = self.complete_at

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        else:
            source = self.source

        credits_: float | None | Unset
        if isinstance(self.credits_, Unset):
            credits_ = UNSET
        else:
            credits_ = self.credits_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task_id": task_id,
                "status": status,
            }
        )
        if provider is not UNSET:
            field_dict["provider"] = provider
        if model_version is not UNSET:
            field_dict["model_version"] = model_version
        if param is not UNSET:
            field_dict["param"] = param
        if create_at is not UNSET:
            field_dict["create_at"] = create_at
        if result is not UNSET:
            field_dict["result"] = result
        if duration_s is not UNSET:
            field_dict["duration_s"] = duration_s
        if complete_at is not UNSET:
            field_dict["complete_at"] = complete_at
        if source is not UNSET:
            field_dict["source"] = source
        if credits_ is not UNSET:
            field_dict["credits"] = credits_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.task_param import TaskParam  # noqa: PLC0415
        from ..models.task_result import TaskResult  # noqa: PLC0415

        d = dict(src_dict)
        task_id = d.pop("task_id")

        status = TaskStatus(d.pop("status"))

        def _parse_provider(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        provider = _parse_provider(d.pop("provider", UNSET))

        def _parse_model_version(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model_version = _parse_model_version(d.pop("model_version", UNSET))

        def _parse_param(data: object) -> None | TaskParam | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                param_type_0 = TaskParam.from_dict(data)

                return param_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TaskParam | Unset, data)

        param = _parse_param(d.pop("param", UNSET))

        def _parse_create_at(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        create_at = _parse_create_at(d.pop("create_at", UNSET))

        def _parse_result(data: object) -> None | TaskResult | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = TaskResult.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TaskResult | Unset, data)

        result = _parse_result(d.pop("result", UNSET))

        def _parse_duration_s(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        duration_s = _parse_duration_s(d.pop("duration_s", UNSET))

        def _parse_complete_at(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        complete_at = _parse_complete_at(d.pop("complete_at", UNSET))

        def _parse_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        def _parse_credits_(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        credits_ = _parse_credits_(d.pop("credits", UNSET))

        task_info = cls(
            task_id=task_id,
            status=status,
            provider=provider,
            model_version=model_version,
            param=param,
            create_at=create_at,
            result=result,
            duration_s=duration_s,
            complete_at=complete_at,
            source=source,
            credits_=credits_,
        )

        task_info.additional_properties = d
        return task_info

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
