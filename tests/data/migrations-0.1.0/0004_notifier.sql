-- The notifier's ledger: one row per (event, recipient, kind), so that a
-- redelivered event never mails twice; scheduled mail waits here until due.
CREATE TABLE notifications (
    id          uuid PRIMARY KEY,
    event_id    uuid        NOT NULL,
    request_id  uuid,
    match_id    uuid,
    kind        text        NOT NULL,
    recipient   text        NOT NULL,
    locale      text        NOT NULL DEFAULT 'fr',
    context     jsonb       NOT NULL,
    message_id  text        NOT NULL,
    status      text        NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    due_at      timestamptz NOT NULL DEFAULT now(),
    attempts    integer     NOT NULL DEFAULT 0,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    UNIQUE (event_id, recipient, kind)
);
CREATE INDEX notifications_due ON notifications (due_at) WHERE status = 'pending';
CREATE INDEX notifications_request ON notifications (request_id);

-- "Was it useful?" answers from the follow-up email.
CREATE TABLE feedback (
    match_id    uuid        NOT NULL REFERENCES matches (id),
    respondent  text        NOT NULL CHECK (respondent IN ('requester', 'host')),
    useful      boolean     NOT NULL,
    answered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (match_id, respondent)
);
