"""The one pause the senders of a process share while the mail server is out."""

from services.notifier.sender import Pause


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_a_sender_meeting_a_running_pause_does_not_lengthen_it():
    clock = Clock()
    pause = Pause(first_s=1, most_s=8, clock=clock)
    assert pause.begin("refused") and pause.wait_s == 1
    assert not pause.begin("refused")  # a second sender, the same outage
    assert pause.wait_s == 1 and pause.active
    clock.t = 1.5
    assert not pause.active
    assert pause.begin("still refused") and pause.wait_s == 2  # doubles after
    assert pause.end() and not pause.end()  # one sender ends it, once
    assert pause.begin("down again") and pause.wait_s == 1
