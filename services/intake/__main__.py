from services.intake.wiring import wire
from shared import service

if __name__ == "__main__":
    service.run("intake", lambda s: s.intake_port, wire)
