-- Release 0.2.0. Written to run again over what a restore may leave behind.
-- Retention (docs/privacy.md): when a closed introduction's personal data
-- was removed, and what each purge removed; the access trail.

ALTER TABLE requests ADD COLUMN IF NOT EXISTS purged_at timestamptz;
CREATE INDEX IF NOT EXISTS requests_to_purge ON requests (updated_at)
    WHERE purged_at IS NULL AND status IN ('completed', 'cancelled', 'unmatched');

-- Forgetting a person looks up the requests that name them as referrer.
CREATE INDEX IF NOT EXISTS requests_referrer ON requests (referrer_email)
    WHERE referrer_email IS NOT NULL;

-- One row per purge run of one table that removed something.
CREATE TABLE IF NOT EXISTS purges (
    id         bigserial PRIMARY KEY,
    service    text        NOT NULL,
    table_name text        NOT NULL,
    rows       integer     NOT NULL,
    ran_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS purges_ran_at ON purges (ran_at);

CREATE INDEX IF NOT EXISTS outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbox_received ON inbox (received_at);
CREATE INDEX IF NOT EXISTS notifications_done ON notifications ((coalesce(sent_at, due_at)))
    WHERE status IN ('sent', 'failed', 'cancelled');
CREATE INDEX IF NOT EXISTS dead_letters_created ON dead_letters (created_at);

-- The access trail: who of the staff read or acted on whose data. Written
-- by intake, never changed; only its own purge (RETAIN_AUDIT) deletes, and
-- says so for its transaction with SET LOCAL matchmaker.purging = 'on'.
CREATE TABLE IF NOT EXISTS audit (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL,          -- the staff member's address
    roles      text[]      NOT NULL,
    action     text        NOT NULL,
    subject    text,                           -- SHA-256 of the person's address
    request_id uuid,
    host_id    uuid,
    detail     text        NOT NULL DEFAULT ''  -- what was read: no personal data
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject, at) WHERE subject IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor, at);

CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('matchmaker.purging', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access trail is append-only (%)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS audit_append_only ON audit;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
DROP TRIGGER IF EXISTS audit_no_truncate ON audit;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
