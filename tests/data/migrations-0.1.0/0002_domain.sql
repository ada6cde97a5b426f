-- The shared store of the three services: hosts, requests, matches.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE hosts (
    id                  uuid PRIMARY KEY,
    email               text        NOT NULL UNIQUE,          -- lower-case
    name                text        NOT NULL,
    fields              text[]      NOT NULL,
    languages           text[]      NOT NULL,
    formats             text[]      NOT NULL,
    site                text,
    timezone            text        NOT NULL,
    durations           integer[]   NOT NULL,
    monthly_capacity    integer     NOT NULL CHECK (monthly_capacity >= 0),
    weekly_availability jsonb       NOT NULL,                 -- [{"day": "tue", "start": "09:00", "end": "12:00"}]
    unavailable         jsonb       NOT NULL DEFAULT '[]',    -- [{"start": iso, "end": iso}]
    active              boolean     NOT NULL DEFAULT true,
    locale              text        NOT NULL DEFAULT 'fr',
    last_invited_at     timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hosts_fields ON hosts USING gin (fields) WHERE active;

CREATE TABLE requests (
    id               uuid PRIMARY KEY,
    requester_email  text        NOT NULL,                    -- lower-case
    requester_name   text        NOT NULL,
    field            text        NOT NULL,
    goal             text        NOT NULL,
    format           text        NOT NULL,
    duration_minutes integer     NOT NULL,
    languages        text[]      NOT NULL,
    site             text,
    timezone         text        NOT NULL,
    related_ok       boolean     NOT NULL DEFAULT true,
    availability     jsonb       NOT NULL,                    -- [{"start": iso, "end": iso}]
    referrer_name    text,
    referrer_email   text,
    preferred_host   uuid,
    locale           text        NOT NULL DEFAULT 'fr',
    status           text        NOT NULL DEFAULT 'submitted' CHECK (status IN
                     ('submitted', 'proposed', 'confirmed', 'waitlisted', 'unmatched', 'cancelled', 'completed')),
    status_reason    text,
    attempts         integer     NOT NULL DEFAULT 0,
    correlation_id   uuid        NOT NULL,
    idempotency_key  text,
    idempotency_hash text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    proposed_at      timestamptz,
    confirmed_at     timestamptz,
    UNIQUE (requester_email, idempotency_key)
);
CREATE INDEX requests_requester ON requests (requester_email, created_at DESC);
CREATE INDEX requests_status_field ON requests (status, field);

CREATE TABLE matches (
    id             uuid PRIMARY KEY,
    request_id     uuid        NOT NULL REFERENCES requests (id),
    host_id        uuid        NOT NULL REFERENCES hosts (id),
    status         text        NOT NULL DEFAULT 'proposed' CHECK (status IN
                   ('proposed', 'accepted', 'declined', 'expired', 'cancelled')),
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL CHECK (ends_at > starts_at),
    month          text        NOT NULL,                      -- 'YYYY-MM' of starts_at in the host's time zone
    format         text        NOT NULL,
    exact_field    boolean     NOT NULL,
    score          jsonb       NOT NULL DEFAULT '{}',
    expires_at     timestamptz NOT NULL,
    location       text,
    note           text,
    decline_reason text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    responded_at   timestamptz,
    -- no two live meetings of one host overlap, whatever the number of matchers
    EXCLUDE USING gist (host_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (status IN ('proposed', 'accepted'))
);
CREATE UNIQUE INDEX matches_one_live_per_request ON matches (request_id) WHERE status IN ('proposed', 'accepted');
CREATE INDEX matches_host_month ON matches (host_id, month) WHERE status IN ('proposed', 'accepted');
CREATE INDEX matches_expiry ON matches (expires_at) WHERE status = 'proposed';
CREATE INDEX matches_request ON matches (request_id);
