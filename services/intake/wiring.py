"""The intake process: the web application; it consumes nothing."""

from services.intake.app import create_app
from shared.service import Runtime, Wiring


def wire(rt: Runtime) -> Wiring:
    return Wiring(app=create_app(rt))
