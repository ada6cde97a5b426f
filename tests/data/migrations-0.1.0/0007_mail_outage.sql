-- The mail server outage under way, if any (written by the notifier, shown
-- to ops): at most one row.
CREATE TABLE mail_outage (
    id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
    since      timestamptz NOT NULL,
    reason     text        NOT NULL,
    updated_at timestamptz NOT NULL
);
