"""A private PostgreSQL cluster for tests that stop and start the server itself.

The shared server (127.0.0.1:5432) is never restarted: this one is `initdb`'d into a
temporary folder, listens on a free port of its own, and is removed at the end. PostgreSQL
refuses to run as root, so as root every command runs as the `postgres` user (`runuser`),
which owns the folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from foyer.bench.server import free_port


class ClusterUnavailableError(Exception):
    """No private cluster can be made here; the message says why."""


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent  # the newest major version
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def have_binaries() -> bool:
    return _bin_dir() is not None


class PrivateCluster:
    """initdb + pg_ctl on a free port; `stop()` / `start()` as often as a test needs."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise ClusterUnavailableError("PostgreSQL's initdb is not installed")
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="foyer-pg-"))
        self.data = self.root / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ClusterUnavailableError("running as root without a postgres user") from exc
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_of(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as, str(self.bin_dir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise ClusterUnavailableError(
                f"{tool} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-500:]}"
            )

    def start(self) -> None:
        """Start, and return once it accepts connections (pg_ctl -w)."""
        # fsync off: the faults here are process restarts, never a machine losing power,
        # so what PostgreSQL wrote is in the OS's page cache either way; it saves the
        # shared disk the flushes.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop if running, and delete every file."""
        # Already stopped (a test's own stop, a failed start): pg_ctl says "no server running".
        with contextlib.suppress(ClusterUnavailableError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
