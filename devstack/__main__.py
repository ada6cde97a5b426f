"""python -m devstack {run,fetch-kafka}"""

import sys

USAGE = "usage: python -m devstack {run|fetch-kafka}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:
        from devstack.supervisor import main as run

        return run()
    if argv[:1] == ["fetch-kafka"]:
        from devstack.kafka import ensure_jars

        print(f"Kafka jars in {ensure_jars()}")
        return 0
    print(USAGE, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
