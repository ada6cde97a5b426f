-- Waiting requests are retried least recently retried first, so a long
-- waitlist is worked through in turn rather than its oldest rows only.
ALTER TABLE requests ADD COLUMN retried_at timestamptz;
CREATE INDEX requests_waiting ON requests (retried_at NULLS FIRST, created_at, id)
    WHERE status IN ('submitted', 'waitlisted');
