"""One receiver process for the cross-process tests: Redis seen-store, handler appends to a file;
with `bus`, a wake bus on the same Redis too.

python -m receiver.receiver_process PORT MOCK_URL CRUN_KEY REDIS_URL SECRET OUT_FILE [bus]
"""

from __future__ import annotations

import os
import sys

import uvicorn
from kling_avatar import AvatarClient, Receiver, RedisSeenStore, RedisWakeBus, Task


def main() -> None:
    port, mock_url, crun_key, redis_url, secret, out = sys.argv[1:7]
    bus = RedisWakeBus(redis_url) if sys.argv[7:] == ["bus"] else None

    def handler(task: Task) -> None:
        with open(out, "a", encoding="utf-8") as file:
            file.write(f"{os.getpid()} {task.provider} {task.id} {task.state.value}\n")

    client = AvatarClient("crun", api_key=crun_key, base_url=mock_url)
    receiver = Receiver(
        f"http://127.0.0.1:{port}",
        secret=secret,
        handler=handler,
        clients=[client],
        seen=RedisSeenStore(redis_url),
        bus=bus,
    )
    uvicorn.run(receiver, host="127.0.0.1", port=int(port), log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
