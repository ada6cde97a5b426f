"""A consumer process that kills itself (SIGKILL) right after the database
commit of its Nth event, before the Kafka offset commit: the worst moment."""

import os
import signal
import sys
import threading

from shared.topics import Names
from tests.integration import pipeline


class CrashingConsumer(pipeline.Consumer):
    def __init__(self, *args, crash_after: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.crash_after = crash_after
        self.handled = 0

    def process(self, delivery):
        done = super().process(delivery)  # the database transaction is committed here
        self.handled += 1
        if self.crash_after and self.handled >= self.crash_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return done


def main() -> None:
    url, bootstrap, prefix, crash_after = sys.argv[1:5]
    consumer = pipeline.make_consumer(url, (bootstrap,), Names(prefix))
    crashing = CrashingConsumer(
        name=consumer.name,
        service=consumer.service,
        routes=consumer.routes,
        pool=consumer.pool,
        bootstrap=consumer.bootstrap,
        names=consumer.names,
        crash_after=int(crash_after),
    )
    crashing.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    crashing.stop()


if __name__ == "__main__":
    main()
