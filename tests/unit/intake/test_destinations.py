"""Where a calendar read may connect: public addresses on the web's ports,
and the company's own servers as CALENDAR_ALLOWED_SERVERS names them;
never an address that leads back inside, however it is written."""

from __future__ import annotations

import ipaddress

import pytest

from services.intake.calendars.fetch import Destinations, Refused

INSIDE = Destinations(((ipaddress.ip_network("10.20.0.0/16"), None),))
INSIDE_ANY_PORT = Destinations(((ipaddress.ip_network("10.20.0.0/16"), 0),))


@pytest.mark.parametrize(
    "address",
    [
        "::7f00:1",  # IPv4-compatible ::127.0.0.1
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT) 127.0.0.1
        "fec0::1",  # site-local, deprecated but still routed here and there
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "127.0.0.1",
        "169.254.169.254",
    ],
)
def test_addresses_that_lead_back_inside_are_refused(address):
    with pytest.raises(Refused):
        Destinations().check(address, 443)


def test_a_public_address_is_read_on_the_web_ports_only():
    assert Destinations().check("8.8.8.8", 443) == "8.8.8.8"
    with pytest.raises(Refused):
        Destinations().check("8.8.8.8", 22)


def test_a_company_server_named_without_a_port_is_read_on_80_and_443_only():
    assert INSIDE.check("10.20.0.5", 443) == "10.20.0.5"
    assert INSIDE.check("10.20.0.5", 80) == "10.20.0.5"
    with pytest.raises(Refused):
        INSIDE.check("10.20.0.5", 5432)
    assert INSIDE_ANY_PORT.check("10.20.0.5", 5432) == "10.20.0.5"
    with pytest.raises(Refused):
        INSIDE_ANY_PORT.check("10.21.0.5", 443)
