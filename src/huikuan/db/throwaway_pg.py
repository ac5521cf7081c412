"""A throwaway PostgreSQL server for tests and benchmarks: Debian's binaries, a temporary data
directory, a free loopback port, stopped when the session ends.

``HUIKUAN_TEST_POSTGRES_URL`` points the suite at an existing server instead. PostgreSQL refuses
to run as root, so as root the server runs as the ``postgres`` system user that Debian's package
creates.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

_BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)


def find_bin_dir() -> Path | None:
    for candidate in _BIN_DIRS:
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def temporary_postgres(settings: Mapping[str, str] | None = None) -> Iterator[str]:
    """Yields a SQLAlchemy URL to a fresh, empty database ``huikuan`` on 127.0.0.1.

    ``settings``: server parameters (``shared_buffers`` …) for this server, as a tuned
    production server would have them (a benchmark's); tests use the defaults."""
    given = os.environ.get("HUIKUAN_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found: run `make install` (it installs "
            "Debian's postgresql-15) or set HUIKUAN_TEST_POSTGRES_URL"
        )
    workdir = Path(tempfile.mkdtemp(prefix="huikuan-pg-"))
    data = workdir / "data"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    port = _free_port()
    log = workdir / "server.log"
    subprocess.run(
        _as_server_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "huikuan",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {workdir} -c fsync=off"
    for name, value in (settings or {}).items():
        options += f" -c {name}={value}"
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "huikuan",
                    "huikuan",
                ]
            ),
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://huikuan@127.0.0.1:{port}/huikuan"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)
