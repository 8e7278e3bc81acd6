"""A run owns its processes: it ends them however it ends (return, timeout, Ctrl-C, SIGTERM), workers end
themselves when futstrat dies, a task's own child processes do not outlive the run, and graceful
shutdown has a deadline.

Each case runs a real ``futstrat`` in a session of its own and looks for survivors by session id (see
``tests/test_faults.py``).
"""

from __future__ import annotations

import subprocess
import sys

from tests.test_faults import ROOT

INTERRUPT_WHILE_IMPORTING = """\
import runpy, sys

interrupted_module = sys.argv[1]

class Interrupting:
    def find_spec(self, name, path=None, target=None):
        if name == interrupted_module:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, Interrupting())
sys.argv = ["futstrat", "list"]
runpy.run_module("futstrat", run_name="__main__", alter_sys=True)
"""


def test_ctrl_c_while_the_command_imports_is_one_line_not_a_traceback():
    for module in ("futstrat.cli", "futstrat.cli.app", "futstrat.plugins"):
        result = subprocess.run(
            [sys.executable, "-c", INTERRUPT_WHILE_IMPORTING, module],
            check=False, capture_output=True, text=True, cwd=ROOT, timeout=30,
        )  # fmt: skip
        assert result.returncode == 130, (module, result.stderr)
        assert result.stderr == "futstrat: error: interrupted\n", (module, result.stderr)
