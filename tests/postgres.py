"""A throwaway PostgreSQL cluster for the test session: initdb + pg_ctl, loopback only.

The suite starts its own server rather than needing one installed and running:
a fresh cluster in a temp dir, trust auth, on a free port of 127.0.0.1, with
durability off (it is deleted at the end anyway). As root, PostgreSQL refuses to
run, so the cluster belongs to the ``postgres`` system user and every command
runs through ``runuser``.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
HOST = "127.0.0.1"
#: Where Debian/Ubuntu packages (apt-get install postgresql) put the binaries: not on PATH.
_EXTRA_BIN_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/bin")


class PostgresUnavailable(Exception):
    """No PostgreSQL server binaries on this machine: the Postgres tests cannot run."""


class PostgresStartError(Exception):
    """The binaries exist but the cluster would not start; the message has the server log."""


@dataclass(frozen=True)
class Binaries:
    initdb: str
    pg_ctl: str


def _version_key(path: str) -> tuple[int, ...]:
    parts = [p for p in Path(path).parts if p.isdigit()]
    return tuple(int(p) for p in parts)


def find_binaries() -> Binaries:
    """initdb and pg_ctl from PATH, else from the distribution's versioned directory."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Binaries(initdb, pg_ctl)
    for pattern in _EXTRA_BIN_GLOBS:
        for bindir in sorted(glob.glob(pattern), key=_version_key, reverse=True):
            initdb, pg_ctl = os.path.join(bindir, "initdb"), os.path.join(bindir, "pg_ctl")
            if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
                return Binaries(initdb, pg_ctl)
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in "
        f"{', '.join(_EXTRA_BIN_GLOBS)}. Install PostgreSQL (Debian: apt-get install "
        "postgresql) to run the tests marked 'postgres'."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One cluster: ``start()`` once, ``stop()`` removes every trace (also at exit)."""

    def __init__(
        self, binaries: Binaries, *, password: str | None = None, ssl: bool = False
    ) -> None:
        self.binaries = binaries
        #: With a password, TCP connections need it (scram-sha-256), as on RDS; else trust.
        self.password = password
        self.ssl = ssl
        self._options = ""
        self.port = 0
        self.host = HOST
        self.user = SUPERUSER
        self._root: Path | None = None
        self._running = False
        self._as_user: list[str] = []

    @property
    def data_dir(self) -> Path:
        assert self._root is not None
        return self._root / "data"

    @property
    def log_file(self) -> Path:
        assert self._root is not None
        return self._root / "server.log"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_user, *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    def _prepare_dir(self) -> None:
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise PostgresStartError(
                    "Running as root, PostgreSQL must run as another user, but there is no "
                    f"'{SUPERUSER}' system user. Create it (useradd --system {SUPERUSER}) or "
                    "run the tests as an ordinary user."
                ) from None
            if not shutil.which("runuser"):
                raise PostgresStartError("Running as root needs 'runuser' (util-linux).")
            self._as_user = ["runuser", "-u", SUPERUSER, "--"]
            # /tmp is world-traversable; a TMPDIR under /root might not be.
            self._root = Path(tempfile.mkdtemp(prefix="dlb-pg-", dir="/tmp"))
            os.chown(self._root, owner.pw_uid, owner.pw_gid)
        else:
            self._root = Path(tempfile.mkdtemp(prefix="dlb-pg-"))

    def start(self) -> PostgresCluster:
        self._prepare_dir()
        atexit.register(self.stop)
        auth = ["--auth=trust"]
        if self.password is not None:
            assert self._root is not None
            pwfile = self._root / "pwfile"
            pwfile.write_text(self.password + "\n")
            self._give(pwfile)
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        init = self._run(
            self.binaries.initdb,
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            *auth,
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        if init.returncode != 0:
            self.stop()
            raise PostgresStartError(f"initdb failed ({init.returncode}):\n{init.stderr.strip()}")
        last_error = ""
        for _attempt in range(3):  # another process may grab the port between probe and bind
            self.port = _free_port()
            options = (
                f"-c listen_addresses={HOST} -p {self.port} -k {self._root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=50"
            ) + self._ssl_options()
            self._options = options
            started = self._run(
                self.binaries.pg_ctl,
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
            )
            if started.returncode == 0:
                self._running = True
                return self
            last_error = f"{started.stdout}{started.stderr}".strip() + "\n" + self._log_tail()
        self.stop()
        raise PostgresStartError(f"pg_ctl start failed three times:\n{last_error}")

    def _give(self, path: Path) -> None:
        """Hand a file to the server's user (it runs as ``postgres`` when we are root)."""
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SUPERUSER)
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _ssl_options(self) -> str:
        """A self-signed certificate: TLS on, plain connections still allowed."""
        if not self.ssl:
            return ""
        assert self._root is not None
        cert, key = self._root / "server.crt", self._root / "server.key"
        made = subprocess.run(
            ["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        if made.returncode != 0:
            raise PostgresStartError(f"openssl could not make a certificate:\n{made.stderr}")
        key.chmod(0o600)
        self._give(cert)
        self._give(key)
        return f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"

    def restart(self) -> None:
        """Stop and start the server on the same port: every connection dies."""
        done = self._run(
            self.binaries.pg_ctl, "restart", "-w", "-t", "60", "-m", "fast",
            "-D", str(self.data_dir), "-l", str(self.log_file), "-o", self._options,
        )  # fmt: skip
        if done.returncode != 0:
            raise PostgresStartError(f"pg_ctl restart failed:\n{done.stderr}{self._log_tail()}")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self._running:
            self._run(self.binaries.pg_ctl, "stop", "-D", str(self.data_dir), "-m", "immediate")
            self._running = False
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None


class LazyCluster:
    """Starts the cluster the first time someone needs it, and remembers a failure."""

    def __init__(self) -> None:
        self._cluster: PostgresCluster | None = None
        self._error: Exception | None = None

    def get(self) -> PostgresCluster:
        if self._cluster is None and self._error is None:
            try:
                self._cluster = PostgresCluster(find_binaries()).start()
            except (PostgresUnavailable, PostgresStartError) as exc:
                self._error = exc
        if self._error is not None:
            raise self._error
        assert self._cluster is not None
        return self._cluster

    @property
    def started(self) -> bool:
        return self._cluster is not None

    def stop(self) -> None:
        if self._cluster is not None:
            self._cluster.stop()
            self._cluster = None
