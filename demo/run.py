"""``make run``: migrate, seed on first start, then run a Celery worker, Celery beat and the web server (uvicorn).

All three run as child processes in their own process group, so Ctrl-C reaches only this launcher, which
then stops the web server, beat and the worker in that order (the worker warm-shuts down, finishing its
task). If any child dies, the others are stopped too and the exit status says so.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 15  # seconds a child gets to stop before it is killed


def prepare(verbosity: int = 0) -> None:
    """Migrate the database and seed the demo data the first time."""
    import django
    from django.core.management import call_command

    django.setup()
    from demo.seed import is_seeded, seed

    print("==> preparing the database", flush=True)
    call_command("migrate", interactive=False, verbosity=verbosity)
    if not is_seeded():
        print("==> seeding the demo data (first start only)", flush=True)
        for _item in seed():
            pass


def banner(host: str, port: int, log_dir: Path) -> str:
    """The one block a user needs: where the demo runs and how to sign in."""
    from demo.seed import DEMO_PASSWORD, DEMO_USERS

    rule = "=" * 72
    lines = [rule, f"  The demo platform is running on http://{host}:{port}/", "", "  Sign in as:"]
    for spec in DEMO_USERS:
        lines.append(f"    {spec['username']:<6} {spec['first_name']} {spec['last_name']} ({spec['role']})")
    lines += [f"  Password for every account: {DEMO_PASSWORD}", ""]
    lines += [f"  Worker and beat logs: {log_dir}/", "  Ctrl-C stops everything.", rule]
    return "\n".join(lines)


def commands(host: str, port: int, beat: bool) -> dict[str, list[str]]:
    from django.conf import settings

    python = sys.executable
    # WARNING and up only: the terminal should show problems, not every task.
    worker = [python, "-m", "celery", "-A", "settings", "worker", "--loglevel=WARNING", "--hostname=demo@%h"]
    # One process is plenty for a demo, and a single writer is kind to SQLite.
    worker += ["--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    procs = {"worker": worker}
    if beat:
        schedule = str(settings.CELERY_BEAT_SCHEDULE_FILENAME)
        procs["beat"] = [python, "-m", "celery", "-A", "settings", "beat", "--loglevel=WARNING", "-s", schedule]
    # An ASGI server, so that the live stream (server-sent events) holds no thread per open browser. Warnings
    # only: no access log, no start-up chatter that would push the address off the screen.
    procs["web"] = [python, "-m", "uvicorn", "settings.asgi:application", "--host", host, "--port", str(port)]
    procs["web"] += ["--lifespan", "off", "--log-level", "warning", "--no-access-log"]
    return procs


def _pump(name: str, stream) -> None:
    # Prefix each child's lines so the interleaved output stays readable.
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"[{name:<6}] {line.decode(errors='replace')}")
        sys.stdout.flush()


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) != 0


def _wait_listening(host: str, port: int, child: subprocess.Popen, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        if not _port_free(host, port):
            return True
        time.sleep(0.2)
    return False


class Supervisor:
    """Starts the children and stops them all, in reverse order, when asked or when one dies.

    The web server writes to the terminal; the worker and beat write to ``var/logs/<name>.log`` so that their
    start-up banners do not bury the address, and the log's tail is shown if one of them dies.
    """

    def __init__(self, procs: dict[str, list[str]], log_dir: Path | None = None) -> None:
        self.procs = procs
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()

    def log_path(self, name: str) -> Path | None:
        return self.log_dir / f"{name}.log" if self.log_dir and name != "web" else None

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        for name, argv in self.procs.items():
            log_path = self.log_path(name)
            output = log_path.open("ab") if log_path else subprocess.PIPE
            child = subprocess.Popen(
                argv, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
            self.children[name] = child
            if log_path is None:
                threading.Thread(target=_pump, args=(name, child.stdout), daemon=True).start()

    def request_stop(self, signum: int = 0, frame: object = None) -> None:
        self.stopping.set()

    def wait(self) -> int:
        """Block until asked to stop or until a child exits; returns the exit status for the launcher."""
        while not self.stopping.wait(0.5):
            for name, child in self.children.items():
                if child.poll() is not None:
                    print(f"\n{name} exited with status {child.returncode}; stopping the others.", flush=True)
                    log_path = self.log_path(name)
                    if log_path and log_path.exists():
                        tail = log_path.read_text(errors="replace").splitlines()[-20:]
                        print(f"last lines of {log_path}:", *tail, sep="\n", flush=True)
                    return 1
        return 0

    def stop(self) -> None:
        # Web first (no new work), then beat, then the worker, which finishes the task in hand.
        for name in reversed(list(self.children)):
            child = self.children[name]
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    print(f"{name} did not stop in {STOP_TIMEOUT}s; killing it", flush=True)
                    child.kill()
                    child.wait()
            print(f"stopped {name}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the notifications demo platform.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-beat", dest="beat", action="store_false", help="do not start Celery beat")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.dev")
    if not _port_free(args.host, args.port):
        print(f"Port {args.port} on {args.host} is in use; stop what uses it or pass --port.", file=sys.stderr)
        return 2
    prepare()
    from django.conf import settings

    log_dir = Path(settings.VAR_DIR) / "logs"
    supervisor = Supervisor(commands(args.host, args.port, args.beat), log_dir=log_dir)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    print("==> starting the worker, beat and the web server", flush=True)
    supervisor.start()
    status = 0
    try:
        if _wait_listening(args.host, args.port, supervisor.children["web"]):
            print(f"\n{banner(args.host, args.port, log_dir)}\n", flush=True)
        status = supervisor.wait()
    finally:
        supervisor.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
