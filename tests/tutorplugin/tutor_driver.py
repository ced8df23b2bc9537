"""Run the Tutor CLI in a fresh process; with RECORD_TASKS_TO set, `do` jobs are recorded instead of run.

Used by the tests as `python tutor_driver.py <tutor arguments>`: a new process per call gives every call
Tutor's real start-up (entry point discovery, plugin loading) with no hook state left from another test.
"""

from __future__ import annotations

import json
import os

from tutor.commands.cli import main
from tutor.commands.dev import DevContext
from tutor.commands.local import LocalContext
from tutor.tasks import BaseTaskRunner
from tutor.types import Config

RECORD_TASKS_TO = "RECORD_TASKS_TO"


class RecordingTaskRunner(BaseTaskRunner):
    """Append each rendered (service, script) task to a JSON-lines file instead of starting a container."""

    def run_task(self, service: str, command: str) -> int:
        with open(os.environ[RECORD_TASKS_TO], "a", encoding="utf-8") as log:
            log.write(json.dumps({"service": service, "command": command}) + "\n")
        return 0


def _recording_runner(context: LocalContext | DevContext, config: Config) -> RecordingTaskRunner:
    return RecordingTaskRunner(context.root, config)


if __name__ == "__main__":
    if RECORD_TASKS_TO in os.environ:
        # The same substitution Tutor's own tests make: the context decides which runner executes jobs.
        LocalContext.job_runner = _recording_runner  # type: ignore[assignment,method-assign]
        DevContext.job_runner = _recording_runner  # type: ignore[assignment,method-assign]
    main()
