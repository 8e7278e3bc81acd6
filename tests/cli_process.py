"""Running the ``futstrat`` command in a process of its own, as a user does."""

from __future__ import annotations

import os
import subprocess
import sys


def run_futstrat(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m futstrat ARGS`` with this environment plus ``env``; it must end within ``timeout``."""
    return subprocess.run(
        [sys.executable, "-m", "futstrat", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
