from services.notifier.wiring import wire
from shared import service

if __name__ == "__main__":
    service.run("notifier", lambda s: s.notifier_port, wire)
