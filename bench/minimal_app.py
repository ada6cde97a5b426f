"""The baseline for the intake benchmark: the least a Flask + marshmallow +
psycopg app must do to take a request: validate, insert the row and its
outbox row in one transaction, answer 202."""

import json
import os
import uuid

from flask import Flask, jsonify, request
from marshmallow import Schema, ValidationError, fields
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool


class Window(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)


class RequestIn(Schema):
    name = fields.String(required=True)
    field = fields.String(required=True)
    goal = fields.String(required=True)
    format = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    languages = fields.List(fields.String(), required=True)
    site = fields.String(allow_none=True)
    timezone = fields.String(required=True)
    related_ok = fields.Boolean()
    availability = fields.List(fields.Nested(Window), required=True)
    referrer = fields.Dict(allow_none=True)
    preferred_host = fields.UUID(allow_none=True)


app = Flask(__name__)
pool = ConnectionPool(os.environ["DATABASE_URL"], min_size=2, max_size=8, open=True)
schema = RequestIn()


@app.post("/api/v1/requests")
def post_request():
    body = request.get_json()
    try:
        data = schema.load(body)
    except ValidationError as exc:
        return jsonify(errors=exc.messages), 422
    rid, cid = uuid.uuid4(), uuid.uuid4()
    email = request.headers["X-Remote-User"]
    value = json.dumps({"event_type": "IntroRequested", "payload": body}).encode()
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO requests (id, requester_email, requester_name, field, goal, format, duration_minutes,"
            " languages, site, timezone, related_ok, availability, correlation_id)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            (
                rid,
                email,
                data["name"],
                data["field"],
                data["goal"],
                data["format"],
                data["duration_minutes"],
                data["languages"],
                data.get("site"),
                data["timezone"],
                data.get("related_ok", True),
                Jsonb(body["availability"]),
                cid,
            ),
        )
        conn.execute(
            "INSERT INTO outbox (producer, topic, key, value, event_type, correlation_id)"
            " VALUES ('intake', 'intro-requests', %s, %s, 'IntroRequested', %s)",
            (str(rid), value, cid),
        )
    return jsonify(id=str(rid), status="submitted"), 202
