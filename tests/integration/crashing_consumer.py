"""A consumer process that kills itself (SIGKILL) right after the database
commit that took it to its Nth event (alone or in a batch), before the Kafka
offset commit: the worst moment."""

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

    def process(self, delivery, failed=None):
        done = super().process(delivery, failed)  # its transaction is committed here
        self._crash_if_due(1)
        return done

    def _process_batch(self, chunk):
        n, failure = super()._process_batch(chunk)  # the batch's transaction too
        self._crash_if_due(n)
        return n, failure

    def _crash_if_due(self, handled: int) -> None:
        self.handled += handled
        if self.crash_after and self.handled >= self.crash_after:
            os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    url, bootstrap, prefix, crash_after = sys.argv[1:5]
    consumer = pipeline.make_consumer(url, (bootstrap,), Names(prefix))
    crashing = CrashingConsumer(
        name=consumer.name,
        service=consumer.service,
        routes=consumer.routes,
        unit_of_work=consumer.unit_of_work,
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
