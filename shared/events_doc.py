"""Writes docs/events.md from the marshmallow schemas: `python -m shared.events_doc > docs/events.md`."""

from __future__ import annotations

from marshmallow import fields as f

from shared import events, topics

INTRO = """# Events

Every Kafka value is the JSON envelope of the contract (`event_id`, `event_type`, `schema_version`,
`occurred_at`, `correlation_id`, `producer`, `payload`) with the headers `event_type`, `event_id` and
`correlation_id`. The payload schemas are marshmallow classes in `shared/events.py`; this page is
generated from them (`python -m shared.events_doc > docs/events.md`) and a test keeps it in step.
Producers validate strictly (unknown keys refused); consumers ignore keys they do not know, so a
producer may add optional fields without a new `schema_version`.
"""
TYPES = {
    "UUID": "uuid",
    "AwareDateTime": "datetime with offset",
    "String": "string",
    "Integer": "integer",
    "Boolean": "boolean",
    "Email": "email",
    "Dict": "object",
}


def kind(field) -> str:
    if isinstance(field, f.Nested):
        return f"object ({type(field.schema).__name__})"
    if isinstance(field, f.List):
        inner = field.inner
        return "list of " + (
            type(inner.schema).__name__
            if isinstance(inner, f.Nested)
            else TYPES.get(type(inner).__name__, type(inner).__name__)
        )
    return TYPES.get(type(field).__name__, type(field).__name__)


def render() -> str:
    out = [
        INTRO,
        "| topic | single writer | key | events |",
        "| --- | --- | --- | --- |",
    ]
    for topic, names in topics.EVENTS.items():
        key = "host id" if topic == topics.HOST_PROFILES else "request id"
        out.append(
            f"| `{topic}` | {topics.WRITERS[topic]} | {key} | {', '.join(names)} |"
        )
    out.append(
        "| `<topic>.dlq` | the consumer's service that gave up | original key | the original bytes; headers"
        " `dlq_reason`, `dlq_error`, `dlq_consumer`, `dlq_original_topic`, `dlq_original_partition`,"
        " `dlq_original_offset` |"
    )
    out.append("")
    nested = {}
    for name, cls in events.PAYLOADS.items():
        out += [
            f"## {name} (`{topics.topic_of(name)}`)",
            "",
            "| field | type | required |",
            "| --- | --- | --- |",
        ]
        for attribute, field in cls().fields.items():
            null = " or null" if field.allow_none else ""
            out.append(
                f"| `{field.data_key or attribute}` | {kind(field)}{null} | {'yes' if field.required else 'no'} |"
            )
            for sub in (field, getattr(field, "inner", None)):
                if isinstance(sub, f.Nested):
                    nested[type(sub.schema).__name__] = sub.schema
        out.append("")
    out += ["## Nested objects", ""]
    for name, schema in nested.items():
        out.append(
            f"- **{name}**: "
            + ", ".join(f"`{k}` ({kind(v)})" for k, v in schema.fields.items())
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
