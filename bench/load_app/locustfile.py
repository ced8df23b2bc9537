"""Locust users of the load benchmark: each signs in with its own session and calls one path in a loop."""

import itertools
import json
import os

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

SESSIONS = json.loads(os.environ["BENCH_LOAD_SESSIONS"])
PATH = os.environ["BENCH_LOAD_PATH"]
_next = itertools.count()


class Reader(FastHttpUser):
    wait_time = constant(0)  # closed loop: each user sends its next request when the last one is answered

    def on_start(self):
        self.cookie = {"Cookie": f"sessionid={SESSIONS[next(_next) % len(SESSIONS)]}"}

    @task
    def call(self):
        with self.client.get(PATH, headers=self.cookie, name=PATH, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
