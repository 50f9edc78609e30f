from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_state import TaskState
from ..types import UNSET, Unset

T = TypeVar("T", bound="TaskRecord")


@_attrs_define
class TaskRecord:
    """
    Attributes:
        task_id (str):
        state (TaskState): `success` and `fail` are terminal.
        model (str | Unset):
        param (str | Unset): The creation request, as a JSON string.
        result_json (None | str | Unset): On success, a JSON string: `{"resultUrls": [...]}`.
        fail_code (None | str | Unset): Empty on success.
        fail_msg (None | str | Unset): Empty on success.
        cost_time (int | None | Unset): How long the task ran. recordInfo's schema says milliseconds; the callback's
            unit is unstated (its schema says seconds, and its examples look like seconds).
        credits_consumed (float | None | Unset): Credits the task cost; kie.ai's callbacks carry it.
        complete_time (int | None | Unset): Unix milliseconds.
        create_time (int | None | Unset): Unix milliseconds.
        update_time (int | None | Unset): Unix milliseconds.
    """

    task_id: str
    state: TaskState
    model: str | Unset = UNSET
    param: str | Unset = UNSET
    result_json: None | str | Unset = UNSET
    fail_code: None | str | Unset = UNSET
    fail_msg: None | str | Unset = UNSET
    cost_time: int | None | Unset = UNSET
    credits_consumed: float | None | Unset = UNSET
    complete_time: int | None | Unset = UNSET
    create_time: int | None | Unset = UNSET
    update_time: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        task_id = self.task_id

        state = self.state.value

        model = self.model

        param = self.param

        result_json: None | str | Unset
        if isinstance(self.result_json, Unset):
            result_json = UNSET
        else:
            result_json = self.result_json

        fail_code: None | str | Unset
        if isinstance(self.fail_code, Unset):
            fail_code = UNSET
        else:
            fail_code = self.fail_code

        fail_msg: None | str | Unset
        if isinstance(self.fail_msg, Unset):
            fail_msg = UNSET
        else:
            fail_msg = self.fail_msg

        cost_time: int | None | Unset
        if isinstance(self.cost_time, Unset):
            cost_time = UNSET
        else:
            cost_time = self.cost_time

        credits_consumed: float | None | Unset
        if isinstance(self.credits_consumed, Unset):
            credits_consumed = UNSET
        else:
            credits_consumed = self.credits_consumed

        complete_time: int | None | Unset
        if isinstance(self.complete_time, Unset):
            complete_time = UNSET
        else:
            complete_time = self.complete_time

        create_time: int | None | Unset
        if isinstance(self.create_time, Unset):
            create_time = UNSET
        else:
            create_time = self.create_time

        update_time: int | None | Unset
        if isinstance(self.update_time, Unset):
            update_time = UNSET
        else:
            update_time = self.update_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "taskId": task_id,
                "state": state,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if param is not UNSET:
            field_dict["param"] = param
        if result_json is not UNSET:
            field_dict["resultJson"] = result_json
        if fail_code is not UNSET:
            field_dict["failCode"] = fail_code
        if fail_msg is not UNSET:
            field_dict["failMsg"] = fail_msg
        if cost_time is not UNSET:
            field_dict["costTime"] = cost_time
        if credits_consumed is not UNSET:
            field_dict["creditsConsumed"] = credits_consumed
        if complete_time is not UNSET:
            field_dict["completeTime"] = complete_time
        if create_time is not UNSET:
            field_dict["createTime"] = create_time
        if update_time is not UNSET:
            field_dict["updateTime"] = update_time

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        task_id = d.pop("taskId")

        state = TaskState(d.pop("state"))

        model = d.pop("model", UNSET)

        param = d.pop("param", UNSET)

        def _parse_result_json(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        result_json = _parse_result_json(d.pop("resultJson", UNSET))

        def _parse_fail_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        fail_code = _parse_fail_code(d.pop("failCode", UNSET))

        def _parse_fail_msg(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        fail_msg = _parse_fail_msg(d.pop("failMsg", UNSET))

        def _parse_cost_time(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cost_time = _parse_cost_time(d.pop("costTime", UNSET))

        def _parse_credits_consumed(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        credits_consumed = _parse_credits_consumed(d.pop("creditsConsumed", UNSET))

        def _parse_complete_time(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        complete_time = _parse_complete_time(d.pop("completeTime", UNSET))

        def _parse_create_time(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        create_time = _parse_create_time(d.pop("createTime", UNSET))

        def _parse_update_time(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        update_time = _parse_update_time(d.pop("updateTime", UNSET))

        task_record = cls(
            task_id=task_id,
            state=state,
            model=model,
            param=param,
            result_json=result_json,
            fail_code=fail_code,
            fail_msg=fail_msg,
            cost_time=cost_time,
            credits_consumed=credits_consumed,
            complete_time=complete_time,
            create_time=create_time,
            update_time=update_time,
        )

        task_record.additional_properties = d
        return task_record

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
