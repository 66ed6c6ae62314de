# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records how long each task of a benchmark play took, from its start to its result, into $BENCH_TIMER_FILE."""
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Time each task of a benchmark play
description:
  - Writes a JSON list of task name and seconds to the file named by the environment variable C(BENCH_TIMER_FILE).
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._started: tuple[str, float] | None = None
        self._times: list[dict[str, object]] = []

    def v2_playbook_on_task_start(self, task, is_conditional):  # noqa: ANN001  (ansible-core's signature)
        self._started = (task.get_name(), time.perf_counter())

    def _finished(self, failed: bool) -> None:
        if self._started is not None:
            name, started = self._started
            self._times.append({"task": name, "seconds": time.perf_counter() - started, "failed": failed})
            self._started = None

    def v2_runner_on_ok(self, result):  # noqa: ANN001
        self._finished(False)

    def v2_runner_on_failed(self, result, ignore_errors=False):  # noqa: ANN001
        self._finished(True)

    def v2_playbook_on_stats(self, stats):  # noqa: ANN001
        with open(os.environ["BENCH_TIMER_FILE"], "w", encoding="utf-8") as handle:
            json.dump(self._times, handle)
