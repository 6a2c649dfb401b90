"""What a load run measures, started and stopped: throw-away PostgreSQL + Redis
(scripts/services.sh), a migrated database with the demo types, users and two API clients, then
gunicorn, the recognition cluster (N workers) and the webhook cluster, each in its own process
group. ``stop`` sends SIGTERM, times each shutdown, kills the group of what outlives the grace
period (and any process left in a group) and stops the servers, so nothing is left running."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "scripts" / "services.sh"
TYPES = "bank_slip,loan_application,vat_invoice"
RATE = "100000/min"
STOP_GRACE_S = 60.0
# Settings of the surrounding shell that must not leak into the measured processes.
_DROPPED = ("DJANGO_", "OCR_", "Q_", "API_", "SQLITE_", "DATABASE_URL", "REDIS_URL", "MEDIA_ROOT")
# Users that review (load_demo makes them), one API client and one thread each.
REVIEWERS = ("clerk", "clerk2", "supervisor")
_NOT_CODE = shutil.ignore_patterns(
    ".git", ".venv*", "var", "out", "runs", "media", "staticfiles", "test-artifacts", "*_cache"
)


def venv_bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate if candidate.exists() else ROOT / ".venv" / "bin" / name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def snapshot(dest: Path) -> dict[str, Any]:
    """Copy the code (and the model files) to ``dest``: every process of every run imports the
    same code, even while the working tree is being edited, or a worker that recycles mid-run
    re-imports half-written modules. Returns the commit and how many paths differ from it."""

    def run(*args: str) -> str:
        return subprocess.run(args, cwd=ROOT, capture_output=True, text=True).stdout.strip()

    shutil.copytree(ROOT, dest, ignore=_NOT_CODE, symlinks=True)
    changed = run("git", "status", "--porcelain", "--untracked-files=all").splitlines()
    return {"commit": run("git", "rev-parse", "--short", "HEAD"), "uncommitted_paths": len(changed)}


class Stack:
    def __init__(
        self,
        workers: int,
        dirs: tuple[Path, Path, Path],
        webhook_secret: str,
        reviewers: int,
    ) -> None:
        """``dirs``: the code to run (a snapshot), a scratch folder, the folder for the logs."""
        self.workers, self.reviewers = workers, reviewers
        self.code_dir, self.work_dir, self.log_dir = dirs
        self.webhook_secret = webhook_secret
        self.services_dir = ""
        self.procs: dict[str, subprocess.Popen] = {}
        self.shutdown: dict[str, dict[str, Any]] = {}
        self.port = 0
        self.token = ""
        self.reviewer_tokens: list[str] = []
        self.env: dict[str, str] = {}
        self.timings: dict[str, float] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- start ---------------------------------------------------------------------------------

    def start(self) -> None:
        t0 = time.time()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            ["bash", str(SERVICES), "start"],
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in out.stdout.splitlines()
            if line.startswith("export ")
        )
        self.services_dir = exports.get("OCR_SERVICES_DIR", "")
        if out.returncode or not self.services_dir:
            raise RuntimeError(f"services.sh start failed:\n{out.stderr[-2000:]}")
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
        self.env = {
            **env,
            "DATABASE_URL": exports["DATABASE_URL"],
            "REDIS_URL": exports["REDIS_URL"],
            "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "MEDIA_ROOT": str(self.work_dir / "media"),
            "OCR_VAR_DIR": str(self.work_dir / "var"),
            "OCR_TASKS_SYNC": "0",
            "API_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1",
            "API_BASE_URL": self.base_url,
            "Q_WORKERS": str(self.workers),
            "LOG_LEVEL": "WARNING",
        }
        self.timings["services_s"] = round(time.time() - t0, 1)
        t1 = time.time()
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("load_demo", "--bills", "0", "--password", secrets.token_urlsafe(16))
        self.token = self.manage(
            "create_api_client",
            "load-bench",
            "--types",
            TYPES,
            "--rate",
            RATE,
            "--callback-secret",
            self.webhook_secret,
        )
        self.reviewer_tokens = [
            self.manage("create_api_client", f"load-{user}", "--user", user, "--rate", RATE)
            for user in REVIEWERS[: self.reviewers]
        ]
        self.manage("schedule_maintenance")
        self.timings["setup_s"] = round(time.time() - t1, 1)
        t2 = time.time()
        self.spawn(
            "web",
            [venv_bin("gunicorn"), "ocr_review.wsgi", "--bind", f"127.0.0.1:{self.port}"]
            + ["--workers", "2", "--threads", "4", "--timeout", "120"],
        )
        self.spawn("recognition", [venv_bin("python"), "manage.py", "qcluster"])
        webhooks = {"Q_CLUSTER_NAME": "ocr_review-webhooks"}
        self.spawn("webhooks", [venv_bin("python"), "manage.py", "qcluster"], webhooks)
        self.wait_ready()
        self.timings["processes_ready_s"] = round(time.time() - t2, 1)

    def manage(self, *args: str) -> str:
        """Run a management command; its last line of output (a token, for create_api_client)."""
        out = subprocess.run(
            [venv_bin("python"), "manage.py", *args],
            cwd=self.code_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        if out.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{out.stderr[-3000:]}")
        lines = out.stdout.strip().splitlines()
        return lines[-1].strip() if lines else ""

    def spawn(self, name: str, cmd: list[str], extra: dict[str, str] | None = None) -> None:
        with open(self.log_dir / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(
                cmd,
                cwd=self.code_dir,
                env={**self.env, **(extra or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped together, never orphaned
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        """/readyz answers 200 (database, broker, model files), and every process still runs."""
        deadline = time.time() + timeout
        last = ""
        while time.time() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir}")
            try:
                with urllib.request.urlopen(self.base_url + "/readyz", timeout=10) as r:
                    if r.status == 200:
                        return
            except OSError as exc:
                last = str(exc)
            time.sleep(0.5)
        raise RuntimeError(f"the web process was not ready within {timeout:g} s: {last}")

    # -- stop ----------------------------------------------------------------------------------

    def stop(self) -> None:
        """SIGTERM to every process, timed; SIGKILL after the grace period; then the
        servers. Safe to call twice."""
        started = time.time()
        for proc in self.procs.values():
            # The leader only, as a supervisor would: gunicorn and qcluster stop their own
            # children (a cluster's workers first finish the document they hold).
            if proc.poll() is None:
                proc.terminate()
        for name, proc in self.procs.items():
            if name in self.shutdown:
                continue
            try:
                proc.wait(max(0.1, started + STOP_GRACE_S - time.time()))
                killed = False
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(10)
                killed = True
            seconds = round(time.time() - started, 1)
            # The leader is gone; anything left in its group is an orphan: report it, kill it.
            leftover = _signal_group(proc.pid, 0)
            if leftover:
                _signal_group(proc.pid, signal.SIGKILL)
            self.shutdown[name] = {
                "seconds": seconds,
                "exit": proc.returncode,
                "killed": killed,
                "leftover_processes": leftover,
            }
        if self.services_dir:
            subprocess.run(
                ["bash", str(SERVICES), "stop", self.services_dir],
                timeout=120,
                stdin=subprocess.DEVNULL,
                capture_output=True,
            )
            self.services_dir = ""


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to the group; False when no process of it is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
