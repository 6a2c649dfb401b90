"""``manage.py qcluster`` that stops on SIGTERM or Ctrl+C within seconds, every time.

django-q2's own command returns right after starting the cluster and leaves shutdown to its signal
handler, which stops the whole cluster from inside the handler while the main thread waits on the
cluster's processes at interpreter exit; now and then that deadlocks and the process ignores
SIGTERM until it is killed. Here the handler only raises a flag; the main thread waits for it and
stops the cluster itself: workers finish the task they hold, nothing is left claimed.

This app precedes django_q in INSTALLED_APPS, so its command is the one ``qcluster`` runs.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Start a django-q2 cluster (Q_CLUSTER_NAME picks the queue); SIGTERM stops it cleanly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run-once", action="store_true", help="start, then stop at once")
        parser.add_argument(
            "-n", "--name", dest="cluster_name", default=None, help="cluster (queue) name"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cluster_name"]:
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        from django_q.cluster import Cluster

        asked = threading.Event()

        def ask_to_stop(signum: int, frame: FrameType | None) -> None:
            asked.set()

        cluster = Cluster()
        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)
        cluster.start()
        if not options["run_once"]:
            while not asked.wait(0.5):
                if cluster.sentinel is None or not cluster.sentinel.is_alive():
                    break
        cluster.stop()
