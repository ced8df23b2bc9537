"""A producer process of the soak test: sends events at a steady rate, each in its own transaction.

``python -m tests.services.soak_producer NAME SECONDS RATE USER_IDS`` (ids comma-separated); prints how many
events it sent and how long the slowest emit took. Environment as for a worker (``settings.services``).
"""

from __future__ import annotations

import sys
import time


def main(name: str, seconds: float, rate: float, user_ids: list[int]) -> None:
    import django

    django.setup()
    from django.db import transaction

    from platform_notifications import notify

    sent, slowest = 0, 0.0
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        begin = time.monotonic()
        with transaction.atomic():
            notify(
                user_ids,
                "new_response",
                f"/soak/{name}/{sent}",
                "discussion",
                "course-v1:Soak+S+1",
                {"replier_name": name, "post_title": f"event {sent}"},
            )
        slowest = max(slowest, time.monotonic() - begin)  # includes the after-commit publish
        sent += 1
        time.sleep(max(0.0, started + sent / rate - time.monotonic()))
    print(f"sent={sent} slowest={slowest:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), [int(i) for i in sys.argv[4].split(",")])
