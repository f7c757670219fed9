"""Run a command against a throwaway PostgreSQL cluster.

Usage (from any directory)::

    python tests/with_postgres.py [--database NAME] -- <command...>

Starts a fresh cluster with ``tests/postgres.py`` (loopback only, trust auth;
as root it runs as the ``postgres`` system user), creates the database, runs
the command with ``DATABASE_URL=postgres://postgres@127.0.0.1:<port>/<db>`` in
its environment (working directory unchanged), removes the cluster, and exits
with the command's exit code. Any DATABASE_URL already set is replaced.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

# The repository root goes first on sys.path, so ``tests`` is this repository's
# package even when run from a project that has a ``tests`` package of its own.
_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(_REPO_ROOT))

from tests.postgres import (  # noqa: E402
    Binaries,
    PostgresCluster,
    PostgresStartError,
    PostgresUnavailable,
    find_binaries,
)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="with_postgres.py",
        description="Run a command with DATABASE_URL pointing at a throwaway PostgreSQL.",
    )
    parser.add_argument(
        "--database",
        default="exchange",
        help="database to create and point DATABASE_URL at (default: exchange; "
        "'postgres' uses the built-in one)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        parser.error("no command given: python tests/with_postgres.py -- <command...>")
    return args


def _createdb_binary(binaries: Binaries) -> str:
    beside = Path(binaries.initdb).with_name("createdb")
    if os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("createdb")
    if found is None:
        raise RuntimeError("createdb was not found next to initdb or on PATH")
    return found


def _createdb(cluster: PostgresCluster, binaries: Binaries, name: str) -> None:
    """A client over TCP (trust auth): no need to run as the postgres user."""
    command = [_createdb_binary(binaries), "-h", cluster.host, "-p", str(cluster.port)]
    command += ["-U", cluster.user, name]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"createdb {name} failed ({result.returncode}): {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    try:
        binaries = find_binaries()
        cluster = PostgresCluster(binaries).start()
    except (PostgresUnavailable, PostgresStartError) as exc:
        print(f"with_postgres: {exc}", file=sys.stderr)
        return 2
    try:
        if args.database != "postgres":
            _createdb(cluster, binaries, args.database)
        url = f"postgres://{cluster.user}@{cluster.host}:{cluster.port}/{args.database}"
        print(f"with_postgres: DATABASE_URL={url}", file=sys.stderr, flush=True)
        env = {**os.environ, "DATABASE_URL": url}
        child = subprocess.Popen(args.command, env=env)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
    except (OSError, RuntimeError) as exc:
        print(f"with_postgres: {exc}", file=sys.stderr)
        return 2
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
