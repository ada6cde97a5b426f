"""A built-in SMTP sink: every message it receives is kept as an `.eml` file."""

from __future__ import annotations

import argparse
import signal
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


class EmlHandler:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        stamp = time.strftime("%Y%m%dT%H%M%S")
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        header = f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tmp = self.folder / (name + ".part")
        tmp.write_bytes(header + envelope.original_content)
        tmp.rename(self.folder / name)
        return "250 Message accepted for delivery"


def start(folder: Path, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    controller = Controller(EmlHandler(folder), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description="SMTP sink writing .eml files")
    parser.add_argument("--folder", default=".run/mail")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args()
    controller = start(Path(args.folder), args.host, args.port)
    print(
        f"mail sink on {args.host}:{args.port}, keeping messages in {args.folder}",
        flush=True,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
