"""The live stream under 1,000 concurrent clients on loopback: memory per connection and creation-to-receipt latency.

``python -m bench.stream [--clients 1000] [--rounds 20] [--fanouts 3] [--redis URL]``: a throwaway SQLite demo
database with one user per client; the web app served by uvicorn (one process, as ``make run`` serves it); the
clients are aiohttp streams in a thread of this process, each signed in with its own session. Measured:

- memory: the server's RSS with every client connected minus its RSS with ``WARM`` clients, per extra connection;
- one user: a notification created here for one connected user (``service.notify``, as a request would), from
  the row's creation instant to the client parsing its ``notification`` event, ``--rounds`` times;
- fan-out: one request to every connected user, fanned out here (``fanout.process_request``: the chunk's rows and
  live events in one transaction), from the rows' creation instant to each client's receipt (and, reported
  beside it, from the start of the fan-out), ``--fanouts`` times.

Without ``--redis`` the server polls the log (``NOTIFICATION_LIVE_POLL_SECONDS``, 0.5 s: the embedded default);
with it, publish/subscribe wakes the server. The run stops by itself. Goal: p99 under 1 s, under 50 KiB per
connection. Writes ``bench/results/stream-sqlite[-redis].json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
WARM = 10  # clients connected before the baseline RSS (imports, the listener, the first queries are paid)
GOAL_P99_S = 1.0
GOAL_KIB = 50
KIND = "alerts.health_check"  # a demo kind: free text, no template context


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup(var_dir: Path, redis_url: str | None, clients: int) -> list[tuple[int, str]]:
    """Migrate a fresh demo database and sign ``clients`` users in; returns (user id, session key) pairs."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings.dev"
    os.environ["NOTIFICATIONS_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from waffle.models import Flag

    call_command("migrate", interactive=False, verbosity=0)
    Flag.objects.create(name="notifications.enable_notifications", everyone=True)
    User = get_user_model()
    User.objects.bulk_create([User(username=f"live{n}", password="!") for n in range(clients)])
    pairs = []
    for user in User.objects.filter(username__startswith="live").order_by("id"):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        pairs.append((user.pk, session.session_key))
    return pairs


class Clients:
    """The aiohttp streams, in a process of their own (so that the fan-out done here never delays their reading).

    The child reports each stream's first ``counts`` event and every ``notification`` event's id and receipt time
    through a queue; a thread here files them.
    """

    def __init__(self, url: str) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.commands, self.reports = context.Queue(), context.Queue()
        self.child = context.Process(target=client_process, args=(url, self.commands, self.reports), daemon=True)
        self.child.start()
        self.connected = 0
        self.received: dict[int, list[float]] = {}
        self.errors: list[str] = []
        threading.Thread(target=self._file, daemon=True).start()

    def _file(self) -> None:
        while True:
            kind, *rest = self.reports.get()
            if kind == "connected":
                self.connected += 1
            elif kind == "got":
                self.received.setdefault(rest[0], []).append(rest[1])
            else:
                self.errors.append(rest[0])

    def open(self, sessions: list[str]) -> None:
        self.commands.put(sessions)

    def wait_connected(self, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.connected < count:
            if time.monotonic() > deadline or len(self.errors) > 10:
                raise SystemExit(f"only {self.connected} of {count} clients connected; errors: {self.errors[:5]}")
            time.sleep(0.05)

    def wait_received(self, notification_ids: list[int], per_id: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while any(len(self.received.get(pk, ())) < per_id for pk in notification_ids):
            if time.monotonic() > deadline:
                got = sum(len(self.received.get(pk, ())) for pk in notification_ids)
                raise SystemExit(f"received {got} of {per_id * len(notification_ids)} notification events in time")
            time.sleep(0.01)

    def close(self) -> None:
        self.commands.put(None)
        self.child.join(10)
        if self.child.is_alive():
            self.child.terminate()


def client_process(url: str, commands, reports) -> None:
    """The child: opens the streams it is sent, reports what they receive, stops on ``None``."""
    import aiohttp

    async def stream(session, key: str) -> None:
        try:
            async with session.get(url, headers={"Cookie": f"sessionid={key}"}) as response:
                if response.status != 200:
                    reports.put(("error", f"HTTP {response.status}"))
                    return
                first, event = True, None
                async for raw in response.content:
                    line = raw.decode().rstrip("\n")
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "notification":
                        reports.put(("got", json.loads(line[6:])["id"], time.time()))
                    elif line.startswith("data: ") and event == "counts" and first:
                        first = False
                        reports.put(("connected",))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a benchmark reports failed clients instead of dying
            reports.put(("error", repr(exc)))

    async def main() -> None:
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        loop = asyncio.get_running_loop()
        tasks = []
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while (keys := await loop.run_in_executor(None, commands.get)) is not None:
                tasks += [asyncio.ensure_future(stream(session, key)) for key in keys]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(seconds: list[float]) -> dict:
    return {
        "samples": len(seconds),
        "p50_ms": round(statistics.median(seconds) * 1000, 1),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def one_user(clients: Clients, users: list[int], rounds: int) -> list[float]:
    from django.contrib.auth import get_user_model

    from platform_notifications import service

    latencies = []
    for n in range(rounds):
        user = get_user_model().objects.get(pk=users[(n * 37) % len(users)])
        row = service.notify(user, KIND, title=f"Check {n} failed", body="p99 above goal")
        clients.wait_received([row.pk], 1)
        latencies.append(clients.received[row.pk][0] - row.created.timestamp())
        time.sleep(0.2)  # let the next creation land anywhere in the server's poll interval
    return latencies


def fan_out(clients: Clients, users: list[int], fanouts: int) -> tuple[list[float], list[float]]:
    """Latencies from each row's creation (its chunk's instant), and from the start of the fan-out."""
    import uuid

    from platform_notifications.fanout import run as fanout
    from platform_notifications.models import Notification, NotificationRequest

    latencies, from_start = [], []
    for n in range(fanouts):
        request = NotificationRequest.objects.create(
            event_id=uuid.uuid4(),
            kind=NotificationRequest.Kind.USERS,
            user_ids=users,
            app_name="discussion",
            notification_type="new_response",
            content_url="/courses/bench/posts/1",
            context={"replier_name": "Ana", "post_title": f"Fan-out {n}"},
        )
        started = time.time()
        fanout.process_request(request.pk)
        rows = dict(
            Notification.objects.filter(content_context__post_title=f"Fan-out {n}").values_list("pk", "created")
        )
        assert len(rows) == len(users), f"fan-out {n} created {len(rows)} rows for {len(users)} users"
        clients.wait_received(list(rows), 1)
        latencies += [clients.received[pk][0] - created.timestamp() for pk, created in rows.items()]
        from_start += [clients.received[pk][0] - started for pk in rows]
        time.sleep(1)
    return latencies, from_start


def run(count: int, rounds: int, fanouts: int, redis_url: str | None) -> dict:
    import psutil

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * count + 256)), hard))
    var_dir = Path(tempfile.mkdtemp(prefix="pn-bench-stream-"))
    server = None
    clients = None
    try:
        pairs = setup(var_dir, redis_url, count)
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "settings.asgi:application", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--lifespan", "off", "--log-level", "warning", "--no-access-log"]
        command += ["--backlog", str(max(2048, count * 2))]
        server = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ))
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("uvicorn did not start")
            time.sleep(0.1)
        process = psutil.Process(server.pid)
        clients = Clients(f"http://127.0.0.1:{port}/api/notifications/stream/")
        clients.open([key for _, key in pairs[:WARM]])
        clients.wait_connected(WARM)
        time.sleep(1)
        base_rss = process.memory_info().rss
        started = time.monotonic()
        clients.open([key for _, key in pairs[WARM:]])
        clients.wait_connected(count)
        connect_seconds = time.monotonic() - started
        time.sleep(2)
        full_rss = process.memory_info().rss
        users = [uid for uid, _ in pairs]
        single = one_user(clients, users, rounds)
        fan, fan_from_start = fan_out(clients, users, fanouts)
        per_connection = (full_rss - base_rss) / (count - WARM)
    finally:
        if clients is not None:
            clients.close()
        if server is not None:
            server.terminate()
            server.wait(15)
        shutil.rmtree(var_dir, ignore_errors=True)
    result = {
        "engine": "sqlite",
        "wake": "redis publish/subscribe" if redis_url else "poll every NOTIFICATION_LIVE_POLL_SECONDS (0.5 s)",
        "clients": count,
        "connect_seconds": round(connect_seconds, 1),
        "server_rss_mib": {"warm": round(base_rss / 2**20, 1), "all": round(full_rss / 2**20, 1)},
        "kib_per_connection": round(per_connection / 1024, 1),
        "one_user": summary(single),
        "fan_out_to_all": summary(fan),
        "fan_out_to_all_from_request_start": summary(fan_from_start),
        "client_errors": len(clients.errors),
        "goal": {"p99_ms": GOAL_P99_S * 1000, "kib_per_connection": GOAL_KIB},
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    result["met"] = (
        result["one_user"]["p99_ms"] < GOAL_P99_S * 1000
        and result["fan_out_to_all"]["p99_ms"] < GOAL_P99_S * 1000
        and result["kib_per_connection"] < GOAL_KIB
    )
    return result


def report(result: dict) -> None:
    one, fan = result["one_user"], result["fan_out_to_all"]
    print(f"\nlive stream, {result['clients']:,} clients on loopback ({result['engine']}; {result['wake']})")
    print(f"  {'clients':>8} {'KiB/conn':>9} {'one user p50/p99 ms':>20} {'fan-out p50/p99 ms':>19} {'goal':>8}")
    print(
        f"  {result['clients']:>8} {result['kib_per_connection']:>9} {one['p50_ms']:>9}/{one['p99_ms']:<10}"
        f" {fan['p50_ms']:>8}/{fan['p99_ms']:<10} {'met' if result['met'] else 'NOT met':>8}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20, help="single-user notifications")
    parser.add_argument("--fanouts", type=int, default=3, help="fan-outs to every connected user")
    parser.add_argument("--redis", default=None, help="a Redis URL: wake the server by publish/subscribe")
    args = parser.parse_args()
    if args.clients <= WARM:
        parser.error(f"--clients must be above {WARM}")
    result = run(args.clients, args.rounds, args.fanouts, args.redis)
    report(result)
    RESULTS.mkdir(exist_ok=True)
    name = "stream-sqlite-redis.json" if args.redis else "stream-sqlite.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
