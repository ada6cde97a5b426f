"""`make demo`: fill the service that `make run` started, through its public API.

Creates a few dozen hosts and requests (dev-mode identity headers), waits for
the matcher's invitations, has some hosts accept and some decline, then
prints where to look. Needs AUTH_MODE=dev (the default under `make run`).
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests

FIRST = [
    "Camille",
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Manon",
    "Nathalie",
    "Thomas",
    "Inès",
    "Julien",
    "Sarah",
    "Antoine",
    "Emma",
    "Karim",
    "Louise",
    "Mathieu",
    "Amina",
    "Pierre",
    "Claire",
    "Yanis",
    "Sophie",
    "Olivier",
]
LAST = [
    "Durand",
    "Martin",
    "Bernard",
    "Petit",
    "Renard",
    "Moreau",
    "Laurent",
    "Garcia",
    "Roux",
    "Fontaine",
    "Chevalier",
    "Mercier",
    "Benali",
    "Lefèvre",
    "Girard",
    "Nguyen",
    "Faure",
    "Rousseau",
    "Blanc",
    "Perrin",
]
GOALS = [
    "Comprendre le quotidien du métier avant de postuler",
    "Savoir quelles compétences développer pour changer de poste",
    "Découvrir comment l'équipe travaille et ce qui fait la différence",
    "Understand what a typical week looks like",
    "Learn which skills matter most to move into this role",
]
PARIS = ZoneInfo("Europe/Paris")


def person(rng: random.Random, i: int, role: str) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return (
        f"{first} {last}",
        f"{first.lower()}.{last.lower()}.{role}{i}@example.com".replace("é", "e")
        .replace("è", "e")
        .replace("ï", "i"),
    )


def weekday_windows(rng: random.Random, n: int) -> list[dict]:
    windows, day = [], date.today() + timedelta(days=2)
    while len(windows) < n:
        day += timedelta(days=rng.randint(1, 4))
        if day.weekday() >= 5:
            continue
        hour = rng.choice([9, 10, 14, 15])
        start = datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)
        windows.append(
            {
                "start": start.isoformat(),
                "end": (start + timedelta(hours=3)).isoformat(),
            }
        )
    return windows


def host_body(rng: random.Random, i: int, name: str, fields: list[str]) -> dict:
    """The profile of demo host `i`; two in three agree to be listed in the
    host directory, where requesters may pick them."""
    return {
        "name": name,
        "fields": fields,
        "languages": rng.choice([["fr"], ["fr", "en"], ["en"]]),
        "formats": ["video", "phone"],
        "site": "Paris-La Défense",
        "timezone": "Europe/Paris",
        "durations": [30, 60],
        "monthly_capacity": rng.randint(1, 4),
        "weekly_availability": [
            {"day": d, "start": "09:00", "end": "12:00"} for d in ("mon", "tue", "thu")
        ]
        + [{"day": d, "start": "14:00", "end": "17:30"} for d in ("tue", "wed", "fri")],
        "unavailable": [],
        "active": True,
        "listed": i % 3 != 2,
    }


def main() -> int:
    base = os.environ.get("INTAKE_URL", "http://127.0.0.1:8000").rstrip("/")
    rng = random.Random(int(os.environ.get("DEMO_SEED", "7")))
    http = requests.Session()
    try:
        if http.get(f"{base}/readyz", timeout=5).status_code != 200:
            print(
                f"{base} is up but not ready yet; try again in a few seconds",
                file=sys.stderr,
            )
            return 1
    except requests.ConnectionError:
        print(
            f"nothing answers at {base}: start the service with `make run` first",
            file=sys.stderr,
        )
        return 1
    taxonomy = http.get(f"{base}/api/v1/fields", timeout=10).json()
    leaves = [f["slug"] for f in taxonomy if f["parent"]]
    offered = rng.sample(leaves, 10)

    hosts = []
    for i in range(30):
        name, email = person(rng, i, "host")
        fields = rng.sample(offered, rng.randint(1, 2))
        body = host_body(rng, i, name, fields)
        r = http.put(
            f"{base}/api/v1/hosts/me",
            json=body,
            headers={"X-Remote-User": email},
            timeout=10,
        )
        r.raise_for_status()
        hosts.append(email)
    print(f"created {len(hosts)} host profiles")

    created = 0
    for i in range(45):
        name, email = person(rng, i, "req")
        referrer = person(rng, i, "ref")
        body = {
            "name": name,
            "field": rng.choice(offered if rng.random() < 0.85 else leaves),
            "goal": rng.choice(GOALS),
            "format": rng.choice(["video", "phone"]),
            "duration_minutes": rng.choice([30, 60]),
            "languages": ["fr"] if rng.random() < 0.7 else ["en"],
            "site": None,
            "timezone": "Europe/Paris",
            "related_ok": rng.random() < 0.8,
            "availability": weekday_windows(rng, 3),
            "referrer": {"name": referrer[0], "email": referrer[1]},
            "preferred_host": None,
        }
        headers = {
            "X-Remote-User": email,
            "Accept-Language": "fr" if body["languages"] == ["fr"] else "en",
        }
        r = http.post(f"{base}/api/v1/requests", json=body, headers=headers, timeout=10)
        r.raise_for_status()
        created += 1
    print(f"submitted {created} introduction requests")

    answered: set[str] = set()
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        for email in hosts:
            invitations = http.get(
                f"{base}/api/v1/invitations",
                headers={"X-Remote-User": email},
                timeout=10,
            ).json()
            for inv in invitations["invitations"]:
                if inv["status"] != "proposed" or inv["id"] in answered:
                    continue
                answered.add(inv["id"])
                choice = rng.random()
                if choice < 0.6:
                    http.post(
                        f"{base}/api/v1/matches/{inv['id']}/accept",
                        headers={"X-Remote-User": email},
                        json={"location": "https://visio.example.com/" + inv["id"][:8]},
                        timeout=10,
                    )
                elif choice < 0.8:
                    http.post(
                        f"{base}/api/v1/matches/{inv['id']}/decline",
                        headers={"X-Remote-User": email},
                        json={"reason": "Pas disponible cette semaine"},
                        timeout=10,
                    )
        if len(answered) >= 20:
            break
        time.sleep(2)
    print(
        f"hosts answered {len(answered)} invitations (about 60% accept, 20% decline, the rest wait)"
    )
    print()
    print(
        f"dashboard:  {base}/ops   (sign in at {base}/dev/login with any email and the groups 'ops,hr'; 'dpo' for the access trail)"
    )
    print(f"emails:     {base}/ops/mail  (the built-in SMTP sink's messages)")
    print(f"the API:    {base}/api/v1/docs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
