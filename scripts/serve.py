"""`make serve`: the reference service (examples/service/app.py) on 127.0.0.1.

Its records in DATABASE_URL (default: sqlite:///out/service/videos.sqlite3). With more than one
worker the processes must share the seen-set, the rate limits and the wake bus: REDIS_URL, or,
when it is unset, a redis-server of this command's own (append-only file in out/service/redis,
so a restart remembers), stopped with the service.

    python scripts/serve.py [--port 8200] [--workers 2] [app.py's other options]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `scripts._redis` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts._redis import redis_server

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples" / "service" / "app.py"
STATE = ROOT / "out" / "service"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--workers", type=int, default=1)
    args, rest = parser.parse_known_args()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{STATE / 'videos.sqlite3'}")
    with ExitStack() as stack:
        if args.workers > 1 and not env.get("REDIS_URL"):
            url, _ = stack.enter_context(redis_server(STATE / "redis", persist=True))
            env["REDIS_URL"] = url
            print(f"REDIS_URL unset: a redis-server of its own at {url}", flush=True)
        command = [sys.executable, str(APP), "--port", str(args.port)]
        command += ["--workers", str(args.workers), *rest]
        try:
            return subprocess.run(command, env=env, check=False).returncode
        except KeyboardInterrupt:  # the service got the same Ctrl-C and stops by itself
            return 130


if __name__ == "__main__":
    sys.exit(main())
