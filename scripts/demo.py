"""The main job, end to end: `make demo`.

Starts the local mock of every provider on 127.0.0.1, then runs the installed `kling-avatar`
command once per provider on the sample media in examples/media/ (local files, so each run
uploads them first), and downloads each video into out/. The mock is stopped however the runs
end, and every run is bounded in time, so the demo never hangs.

    python scripts/demo.py [--step 0.5] [--out out]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from kling_avatar import Provider
from kling_avatar.testing import MockServer
from kling_avatar.testing._lookup import provider_mocks

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "examples" / "media"
PROVIDERS: tuple[Provider, ...] = ("crun", "apikley", "fal")
# Generous next to what the mock needs (a few seconds), small enough that a hang is noticed.
WAIT_TIMEOUT = 60
RUN_TIMEOUT = 120


def _command() -> list[str]:
    # The console script that `uv sync` installed next to this Python; `-m` if it is missing.
    script = Path(sys.executable).with_name("kling-avatar")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kling_avatar"]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--step",
        type=float,
        default=0.5,
        help="seconds each task spends in each state at the mock (default 0.5)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="where videos go")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()

    image, audio = MEDIA / "portrait.png", MEDIA / "voice.wav"
    saved: list[Path] = []
    kinds = provider_mocks()
    # The mock's own keys, never the user's: a real key in the environment stays unused.
    with MockServer(
        step=args.step, keys={name: kinds[name].default_key for name in PROVIDERS}
    ) as mock:
        titles = ", ".join(kinds[name].title for name in PROVIDERS)
        print(f"local mock of {titles} at {mock.base_url}\n", flush=True)
        env = dict(os.environ)
        for name in PROVIDERS:
            env[kinds[name].base_url_variable] = mock.base_url
            env[kinds[name].key_variable] = mock.keys[name]
        for provider in PROVIDERS:
            target = out / f"{provider}.mp4"
            argv_ = [
                *_command(),
                "generate",
                "--provider",
                provider,
                "--image",
                _shown(image),
                "--audio",
                _shown(audio),
                "--timeout",
                str(WAIT_TIMEOUT),
                "--output",
                _shown(target),
            ]
            print(f"$ kling-avatar {shlex.join(argv_[len(_command()) :])}", flush=True)
            started = time.monotonic()
            try:
                result = subprocess.run(argv_, env=env, cwd=ROOT, timeout=RUN_TIMEOUT, check=False)
            except subprocess.TimeoutExpired:
                print(f"demo: {provider} run took longer than {RUN_TIMEOUT} s", file=sys.stderr)
                return 1
            if result.returncode != 0:
                print(f"demo: {provider} run failed (exit {result.returncode})", file=sys.stderr)
                return result.returncode
            print(f"({time.monotonic() - started:.1f} s)\n", flush=True)
            saved.append(target)

    print("videos on disk:")
    for path in saved:
        print(f"  {_shown(path)}  ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
