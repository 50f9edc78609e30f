from enum import IntEnum


class FileUploadResponseCode(IntEnum):
    VALUE_200 = 200
    VALUE_400 = 400
    VALUE_401 = 401
    VALUE_405 = 405
    VALUE_500 = 500

    def __str__(self) -> str:
        return str(self.value)
