from enum import IntEnum


class TaskCallbackCode(IntEnum):
    VALUE_200 = 200
    VALUE_501 = 501

    def __str__(self) -> str:
        return str(self.value)
