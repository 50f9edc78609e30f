from enum import StrEnum


class CancelState(StrEnum):
    ALREADY_COMPLETED = "ALREADY_COMPLETED"
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    NOT_FOUND = "NOT_FOUND"
    OK = "OK"

    def __str__(self) -> str:
        return str(self.value)
