-- Outbox: every event a service publishes is written here in the same
-- transaction as the change it reports; the relay publishes and marks it.
CREATE TABLE outbox (
    id             bigserial PRIMARY KEY,
    producer       text        NOT NULL,
    topic          text        NOT NULL,
    key            text        NOT NULL,
    value          bytea       NOT NULL,
    headers        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    event_id       uuid,
    event_type     text,
    correlation_id uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (producer, id) WHERE published_at IS NULL;
CREATE INDEX outbox_key ON outbox (key, id);
CREATE INDEX outbox_correlation ON outbox (correlation_id, id);

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', NEW.producer);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_notify();

-- Inbox: (consumer, event) pairs already handled; written in the handler's
-- transaction so that a redelivered event has no second effect.
CREATE TABLE inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    topic        text        NOT NULL,
    event_type   text        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Dead letters: messages a consumer gave up on; the copy on `<topic>.dlq`
-- is published from the outbox written in the same transaction.
CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    consumer     text        NOT NULL,
    topic        text        NOT NULL,
    partition    integer     NOT NULL,
    "offset"     bigint      NOT NULL,
    key          text,
    value        bytea       NOT NULL,
    headers      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    reason       text        NOT NULL,
    error        text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at  timestamptz,
    UNIQUE (consumer, topic, partition, "offset")
);
