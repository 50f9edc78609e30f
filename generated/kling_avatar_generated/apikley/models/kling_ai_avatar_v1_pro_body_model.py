from enum import StrEnum


class KlingAiAvatarV1ProBodyModel(StrEnum):
    KLINGAI_AVATAR_PRO = "kling/ai-avatar-pro"
    KLINGAI_AVATAR_STANDARD = "kling/ai-avatar-standard"
    KLINGAI_AVATAR_V1_PRO = "kling/ai-avatar-v1-pro"
    KLINGV1_AVATAR_STANDARD = "kling/v1-avatar-standard"

    def __str__(self) -> str:
        return str(self.value)
