"""A real SMTP server on 127.0.0.1 that keeps every message it accepts in a Maildir.

For the demo and for trying the worker on a laptop: the worker's SMTP channel talks to it over a
socket exactly as it would to a production relay, and each accepted message lands as one file
under ``<folder>/new`` (Maildir), readable with any mail client. Never exposed beyond loopback.
"""

from __future__ import annotations

import mailbox
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller


class MaildirHandler:
    """aiosmtpd handler: every message accepted is added to the Maildir."""

    def __init__(self, folder: Path) -> None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(folder, create=True)  # makes tmp/, new/ and cur/ as needed
        for part in ("tmp", "new", "cur"):
            (folder / part).mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.accepted = 0

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        with self.lock:
            self.box.add(envelope.original_content)
            self.accepted += 1
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return cast(int, sock.getsockname()[1])


@contextmanager
def maildir_smtp_server(folder: Path) -> Iterator[tuple[str, int]]:
    """Run the server for the ``with`` block; yields ``(host, port)``."""
    port = _free_port()
    controller = Controller(MaildirHandler(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()
