"""Matching by meaning: does the matcher propose the host whose words fit
the goal, and what does reading words cost?

1. The bilingual test set (`bench/data/meaning.yaml`: 24 hosts in groups of
   three sharing a field, 72 goals, half French, half across languages,
   each naming its one right host), written before the model was chosen.
   Each goal is a request of that field through the matcher's own ranking
   (`candidates.rank`, a real PostgreSQL), the hosts otherwise equal (same
   times, languages, formats, capacity, never invited). Printed side by
   side: the matcher with the model, the matcher on fields alone (today's
   order: the least recently invited, then the id), and TF-IDF over the
   same texts (words, no meaning), ranking the field's hosts. With three
   hosts a field, the top 3 of a field is every host: the last row ranks
   all 24 hosts by their words alone, where the top 3 says something.
   Intake's reading, on the same hosts: the fields each goal sounds like
   (`finding.suggest_fields`: is the goal's field first, in the top 3?)
   beside the fields' names alone, and the directory's search with the
   goal as `?q=` (`finding.host_directory`, all 24 hosts listed: is the
   right host first, in the top 3?).
2. The cost, in the same run: reading 10,000 host profiles, the matcher's
   per-request latency at 10,000 hosts with and without meaning
   (`bench.matcher.per_request`, the same seed), intake's suggestions and
   directory search at 10,000 hosts, and grouping 1,000 unmet goals; and
   the model alone on 2,000 hosts' texts, in parts side by side (the
   shipped model) against one part (one thread), alternately."""

from __future__ import annotations

import math
import random
import re
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import yaml
from psycopg.types.json import Jsonb

from bench import matcher as matcher_bench
from bench.infra import copy_database, fresh_database
from devstack.ports import free_port
from devstack.postgres import Postgres
from services.intake import finding
from services.intake.ops import themes
from services.intake.unit_of_work import UnitOfWork as IntakeUnitOfWork
from services.intake.words import Hosts, Words, suggest
from services.matcher import candidates, matching, use_cases
from services.matcher.model import Request
from services.matcher.unit_of_work import UnitOfWork
from shared import meaning
from shared.clock import utc_now
from shared.db import connect

DATA = Path(__file__).parent / "data" / "meaning.yaml"
WEEK = [{"day": d, "start": "09:00", "end": "17:00"} for d in ("mon", "tue", "wed", "thu", "fri")]  # fmt: skip
HOSTS_AT_SCALE = 10_000
QUERY_CHARS = 120  # of a directory query (bodies.DirectoryQuery)


def with_model():
    """The matcher benchmark's policy, reading words with the shipped model."""
    policy = matcher_bench.policy()
    policy.encoder = meaning.sentence_model()
    return policy


def load() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def add_hosts(conn, hosts: list[dict]) -> dict:
    """The test set's hosts, equal but for their field and words; key -> id."""
    ids = {}
    for i, h in enumerate(hosts):
        ids[h["key"]] = uuid.uuid4()
        conn.execute(
            "INSERT INTO hosts (id, email, name, fields, languages, formats, timezone,"
            " durations, monthly_capacity, weekly_availability, unavailable, experience)"
            " VALUES (%s, %s, %s, %s, '{fr,en}', '{video}', 'Europe/Paris', '{30,60}',"
            " 4, %s, '[]', %s)",
            (ids[h["key"]], f"h{i}@example.com", f"Host {i}", [h["field"]],
             Jsonb(WEEK), h["experience"]),
        )  # fmt: skip
    conn.commit()
    return ids


def request_of(conn, goal: dict, n: int) -> Request:
    """The goal as a waiting request of its field, stored."""
    start = utc_now() + timedelta(days=2)
    window = [
        {"start": start.isoformat(), "end": (start + timedelta(days=5)).isoformat()}
    ]
    row = conn.execute(
        "INSERT INTO requests (id, requester_email, requester_name, field, goal, format,"
        " duration_minutes, languages, timezone, related_ok, availability, correlation_id)"
        " VALUES (%s, %s, 'R', %s, %s, 'video', 30, '{fr,en}', 'Europe/Paris', false,"
        " %s, %s) RETURNING *",
        (uuid.uuid4(), f"r{n}@example.com", goal["field"], goal["text"], Jsonb(window),
         uuid.uuid4()),
    ).fetchone()  # fmt: skip
    return Request.from_row(row)


def matcher_order(conn, policy, goal: dict, n: int) -> list:
    """The hosts the matcher would propose for this goal, best first."""
    with conn.transaction(), UnitOfWork(conn=conn) as uow:
        request = request_of(conn, goal, n)
        proposals = candidates.rank(uow, policy, request, utc_now(), whole=True)
    return [p.host.id for p in proposals]


WORD = re.compile(r"\w+", re.UNICODE)


def tfidf_order(hosts: list[dict], ids: dict, goal: dict) -> list:
    """The field's hosts by the TF-IDF cosine of their text with the goal."""
    docs = {h["key"]: Counter(WORD.findall(h["experience"].lower())) for h in hosts}
    df = Counter(w for d in docs.values() for w in d)
    idf = {w: math.log(len(docs) / n) + 1 for w, n in df.items()}

    def vec(counts):
        v = {w: c * idf.get(w, 0.0) for w, c in counts.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    q = vec(Counter(WORD.findall(goal["text"].lower())))
    same = [h for h in hosts if h["field"] == goal["field"]]
    score = {
        h["key"]: sum(q.get(w, 0) * x for w, x in vec(docs[h["key"]]).items())
        for h in same
    }
    return [ids[k] for k in sorted(score, key=lambda k: (-score[k], k))]


def tally(name: str, orders: list, goals: list, hosts: dict, ids: dict) -> dict:
    rows = []
    for goal, order in zip(goals, orders, strict=True):
        right = ids[goal["host"]]
        across = goal["lang"] != hosts[goal["host"]]["lang"]
        rows.append(
            (order[:1] == [right], right in order[:3], goal["lang"] == "fr", across)
        )

    def pct(keep, col):
        picked = [r[col] for r in rows if keep(r)]
        return 100 * sum(picked) / max(len(picked), 1)

    return {
        "name": name,
        "first": pct(lambda r: True, 0),
        "top3": pct(lambda r: True, 1),
        "first_fr": pct(lambda r: r[2], 0),
        "first_across": pct(lambda r: r[3], 0),
        "top3_across": pct(lambda r: r[3], 1),
    }


def quality(pg) -> list[dict]:
    data = load()
    hosts = {h["key"]: h for h in data["hosts"]}
    goals = data["goals"]
    with connect(fresh_database(pg, "meaning")) as conn:
        ids = add_hosts(conn, data["hosts"])
        model = with_model()
        with conn.transaction(), UnitOfWork(conn=conn) as uow:
            use_cases.vectors.read_hosts(uow, model)
        by_model = [matcher_order(conn, model, g, i) for i, g in enumerate(goals)]
        by_field = [
            matcher_order(conn, matcher_bench.policy(), g, i)
            for i, g in enumerate(goals)
        ]
        conn.execute("UPDATE hosts SET listed = true")
        conn.commit()
        found = [directory_order(conn, model, g) for g in goals]
        fields = field_suggestions(conn, model, goals)
    by_words = [tfidf_order(data["hosts"], ids, g) for g in goals]
    by_any_field = any_field_order(data["hosts"], ids, goals)
    return [
        tally("matcher, by meaning", by_model, goals, hosts, ids),
        tally("matcher, fields alone", by_field, goals, hosts, ids),
        tally("TF-IDF on the texts", by_words, goals, hosts, ids),
        tally("meaning, any field", by_any_field, goals, hosts, ids),
        tally("directory, ?q=goal", found, goals, hosts, ids),
    ], fields


def intake_words(policy) -> Words:
    return Words(policy.encoder, policy.taxonomy)


def directory_order(conn, policy, goal: dict) -> list:
    """The listed hosts the directory's search finds with the goal as `?q=`
    (its first `QUERY_CHARS`, as the API takes it)."""
    rows = finding.host_directory(
        IntakeUnitOfWork(conn=conn),
        goal["text"][:QUERY_CHARS],
        None,
        intake_words(policy),
    )
    return [r["id"] for r in rows]


def field_suggestions(conn, policy, goals: list[dict]) -> list[dict]:
    """How often the goal's field is suggested first, or in the top 3: as
    intake suggests (names, and the words of the field's listed hosts
    together), and by fields' names alone."""
    words = intake_words(policy)
    by_intake = [
        finding.suggest_fields(IntakeUnitOfWork(conn=conn), words, g["text"])
        for g in goals
    ]
    by_names = [
        [s for s, _ in suggest(words.read(g["text"]), words.fields(), Hosts())]
        for g in goals
    ]
    return [
        {
            "name": name,
            "first": 100 * sum(o[:1] == [g["field"]] for o, g in zip(orders, goals, strict=True)) / len(goals),
            "top3": 100 * sum(g["field"] in o[:3] for o, g in zip(orders, goals, strict=True)) / len(goals),
        }
        for name, orders in (("names and hosts' words", by_intake), ("fields' names alone", by_names))
    ]  # fmt: skip


def any_field_order(hosts: list[dict], ids: dict, goals: list[dict]) -> list:
    """All 24 hosts by the fit of their words alone (no field given: the
    directory's search), so that the top 3 means something."""
    from services.matcher.fit import host_text

    model = meaning.sentence_model()
    vectors = model.embed([host_text(h["experience"], []) for h in hosts])
    out = []
    for g in model.embed([g["text"] for g in goals]):
        order = (vectors @ g).argsort()[::-1]
        out.append([ids[hosts[i]["key"]] for i in order])
    return out


def at_scale(pg) -> dict:
    """Reading 10,000 profiles, and the matcher's latency at 10,000 hosts
    without and with meaning: the same requests matched one at a time in
    two copies of one store, alternately (the machine's noise falls on
    both alike)."""
    data = load()
    texts = [h["experience"] for h in data["hosts"]]
    goals = [g["text"] for g in data["goals"]]
    rnd = random.Random(HOSTS_AT_SCALE)
    url = fresh_database(pg, "meaning10k")
    model = with_model()
    with connect(url) as conn:
        matcher_bench.insert_hosts(conn, HOSTS_AT_SCALE, rnd)
        conn.execute(
            "UPDATE hosts SET experience = (%s::text[])[1 + abs(hashtext(id::text)) %% %s]",
            (texts, len(texts)),
        )
        conn.commit()
        t = time.perf_counter()
        while True:
            with conn.transaction(), UnitOfWork(conn=conn) as uow:
                if not use_cases.vectors.read_hosts(uow, model):
                    break
        read_s = time.perf_counter() - t
        ids = matcher_bench.insert_requests(
            conn, matcher_bench.REQUESTS_PER_SIZE, rnd, goals=goals
        )
    plain = copy_database(pg, "meaning10k", "plain10k")
    policies = {url: model, plain: matcher_bench.policy()}
    runs: dict = {url: [], plain: []}
    with connect(url) as a, connect(plain) as b:
        for rid in ids:
            for key, conn in ((url, a), (plain, b)):
                t = time.perf_counter()
                with conn.transaction(), UnitOfWork(conn=conn) as uow:
                    result = matching.match(uow, policies[key], rid)
                runs[key].append((time.perf_counter() - t, result))
    return {
        "read_s": read_s,
        "without": _latencies(runs[plain]),
        "with": _latencies(runs[url]),
        "intake": intake_at_scale(url, goals[:40]),
        "themes_s": grouping(data["goals"]),
        "sides": sides(texts),
    }


def sides(texts: list[str], n: int = 2_000, runs: int = 3) -> dict:
    """Seconds to read `n` hosts' texts with the shipped model (parts side
    by side, one thread per core) and with one part, alternately; medians."""
    batch = [texts[i % len(texts)] + f" ({i})" for i in range(n)]
    models = {
        "parts": meaning.sentence_model(),
        "one": meaning.SentenceModel(threads=1),
    }
    times: dict = {name: [] for name in models}
    for _ in range(runs):
        for name, model in models.items():
            t = time.perf_counter()
            model.embed(batch)
            times[name].append(time.perf_counter() - t)
    return {name: sorted(ts)[runs // 2] for name, ts in times.items()}


def _latencies(run: list) -> dict:
    return {
        "rate": len(run) / sum(t for t, _ in run),
        **matcher_bench.milliseconds([t for t, _ in run]),
        "outcomes": dict(Counter(result for _, result in run)),
    }


def intake_at_scale(url: str, goals: list[str]) -> dict:
    """Milliseconds per suggestion and per directory search over 10,000
    hosts (the first call of each, which fetches every vector, apart)."""
    out = {}
    with connect(url) as conn:
        conn.execute("UPDATE hosts SET listed = true")
        conn.commit()
        words = intake_words(with_model())
        calls = {
            "suggestions": lambda g: finding.suggest_fields(
                IntakeUnitOfWork(conn=conn), words, g
            ),
            "directory": lambda g: finding.host_directory(
                IntakeUnitOfWork(conn=conn), g[:QUERY_CHARS], None, words
            ),
        }
        for name, call in calls.items():
            t = time.perf_counter()
            call(goals[0])
            first = (time.perf_counter() - t) * 1000
            times = []
            for g in goals[1:]:
                t = time.perf_counter()
                call(g)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out[name] = {
                "first": first,
                "p50": times[len(times) // 2],
                "p95": times[int(len(times) * 0.95)],
            }
    return out


def grouping(goals: list[dict], n: int = themes.GOALS) -> float:
    """Seconds to group `n` unmet goals (the test set's, repeated with a
    little noise), their words read once."""
    model = meaning.sentence_model()
    vectors = model.embed([g["text"] for g in goals])
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n):
        v = vectors[i % len(goals)] + rng.normal(0, 0.02, vectors.shape[1])
        rows.append(
            {"goal": goals[i % len(goals)]["text"], "field": goals[i % len(goals)]["field"],
             "vector": (v / np.linalg.norm(v)).astype(np.float32), "who": i}
        )  # fmt: skip
    words = Words(model, None)
    t = time.perf_counter()
    themes.themes(rows, words.terms)
    return time.perf_counter() - t


def main() -> None:
    print("meaning benchmark (bench/data/meaning.yaml: 24 hosts, 72 goals)")
    t = time.perf_counter()
    meaning.sentence_model().embed(["warm-up"])
    print(f"  model loaded and first text read in {time.perf_counter() - t:.2f} s")
    with tempfile.TemporaryDirectory(prefix="bench-meaning-") as tmp:
        pg = Postgres(Path(tmp) / "pg", port=free_port(), database="bench").start()
        try:
            rows, fields = quality(pg)
            print(
                f"  {'ranking':<24} {'first':>7} {'top 3':>7} {'first, FR goals':>16}"
                f" {'first, across':>14} {'top 3, across':>14}"
            )
            for r in rows:
                print(
                    f"  {r['name']:<24} {r['first']:6.1f}% {r['top3']:6.1f}%"
                    f" {r['first_fr']:15.1f}% {r['first_across']:13.1f}%"
                    f" {r['top3_across']:13.1f}%"
                )
            print(f"  {'field suggested':<24} {'first':>7} {'top 3':>7}")
            for r in fields:
                print(f"  {r['name']:<24} {r['first']:6.1f}% {r['top3']:6.1f}%")
            s = at_scale(pg)
        finally:
            pg.stop()
    w, m = s["without"], s["with"]
    print(f"  reading {HOSTS_AT_SCALE:,} host profiles: {s['read_s']:.1f} s")
    sd = s["sides"]
    print(
        f"  the model alone, 2,000 hosts' texts: {sd['parts']:.1f} s in parts side by"
        f" side ({meaning.sentence_model().threads} threads), {sd['one']:.1f} s in one"
        f" (×{sd['parts'] / sd['one']:.2f})"
    )
    print(f"  matcher at {HOSTS_AT_SCALE:,} hosts, one request at a time:")
    for name, r in (("fields alone", w), ("with meaning", m)):
        print(
            f"    {name:<13} p50 {r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms"
            f"  {r['rate']:6.1f} requests/s  outcomes {r['outcomes']}"
        )
    print(f"    p95 ratio (with / without) {m['p95'] / w['p95']:.2f}")
    print(
        f"  intake at {HOSTS_AT_SCALE:,} hosts (ms; the first call fetches every vector):"
    )
    for name, r in s["intake"].items():
        print(
            f"    {name:<13} first {r['first']:7.1f}  p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}"
        )
    print(f"  unmet demand: {themes.GOALS:,} goals grouped in {s['themes_s']:.2f} s")
