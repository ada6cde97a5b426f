-- The hourly log of submissions counts other actions a person may repeat
-- too often (saving a host profile, reading one's calendar now), each by
-- name; still a keyed hash of who, no name or address.
ALTER TABLE submissions ADD COLUMN action text NOT NULL DEFAULT 'request';
DROP INDEX submissions_who;
CREATE INDEX submissions_who ON submissions (who, action, at);
