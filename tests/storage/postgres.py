"""A private PostgreSQL server for the tests, on 127.0.0.1 in a temp directory.

Debian keeps the server binaries under /usr/lib/postgresql/<version>/bin; `initdb` refuses to
run as root, so as root the server runs as the `postgres` user. Without the binaries the tests
skip with the reason, except under CI (`CI=true`), where a skip would hide a missing install.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator

import pytest


def _binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start a server; yields the URL prefix `postgresql+psycopg://apogee@127.0.0.1:PORT/`."""
    pytest.importorskip("psycopg")
    binaries = _binaries()
    if binaries is None:
        reason = "PostgreSQL server binaries are not installed (apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI this must not be skipped")
        pytest.skip(reason)
    folder = tempfile.mkdtemp(prefix="apogee-pg-")
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    data = os.path.join(folder, "data")
    port = _free_port()
    run = {"check": True, "capture_output": True}
    subprocess.run(
        _as_server_user(
            [f"{binaries}/initdb", "-D", data, "-U", "apogee", "-A", "trust", "--no-sync"]
        ),
        **run,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = os.path.join(folder, "server.log")
    subprocess.run(
        _as_server_user(
            [f"{binaries}/pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start"]
        ),
        **run,
    )
    try:
        yield f"postgresql+psycopg://apogee@127.0.0.1:{port}/"
    finally:
        subprocess.run(
            _as_server_user([f"{binaries}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"]),
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: str) -> str:
    """A fresh, empty database on the test server; returns its URL."""
    import psycopg

    name = f"apogee_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        server.replace("postgresql+psycopg", "postgresql") + "postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server + name
