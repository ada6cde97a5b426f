"""Hosts' own calendars: connecting one, reading it again (an iCalendar
address or a CalDAV calendar, over the network through one guarded
session), keeping only its busy times, its address and password sealed,
and its row in `host_calendars`."""
