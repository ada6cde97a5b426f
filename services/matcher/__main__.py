from services.matcher.wiring import wire
from shared import service

if __name__ == "__main__":
    service.run("matcher", lambda s: s.matcher_port, wire)
