from enum import StrEnum


class CreateTaskRequestModel(StrEnum):
    KLINGAVATAR = "kling/avatar"

    def __str__(self) -> str:
        return str(self.value)
