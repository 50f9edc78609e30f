from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.model_detail_input_schema import ModelDetailInputSchema


T = TypeVar("T", bound="ModelDetail")


@_attrs_define
class ModelDetail:
    """
    Attributes:
        input_schema (ModelDetailInputSchema): A JSON Schema of the model's `input` object.
        model (str | Unset):
        required_input_fields (list[str] | Unset):
    """

    input_schema: ModelDetailInputSchema
    model: str | Unset = UNSET
    required_input_fields: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_schema = self.input_schema.to_dict()

        model = self.model

        required_input_fields: list[str] | Unset = UNSET
        if not isinstance(self.required_input_fields, Unset):
            required_input_fields = self.required_input_fields

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "input_schema": input_schema,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if required_input_fields is not UNSET:
            field_dict["required_input_fields"] = required_input_fields

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.model_detail_input_schema import ModelDetailInputSchema  # noqa: PLC0415

        d = dict(src_dict)
        input_schema = ModelDetailInputSchema.from_dict(d.pop("input_schema"))

        model = d.pop("model", UNSET)

        required_input_fields = cast(list[str], d.pop("required_input_fields", UNSET))

        model_detail = cls(
            input_schema=input_schema,
            model=model,
            required_input_fields=required_input_fields,
        )

        model_detail.additional_properties = d
        return model_detail

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
