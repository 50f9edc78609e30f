from enum import StrEnum


class QueueStatusStatus(StrEnum):
    COMPLETED = "COMPLETED"
    IN_PROGRESS = "IN_PROGRESS"
    IN_QUEUE = "IN_QUEUE"

    def __str__(self) -> str:
        return str(self.value)
