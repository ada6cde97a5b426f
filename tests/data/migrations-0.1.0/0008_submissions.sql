-- Submissions per requester and hour, counted by a keyed hash of the
-- authenticated identity (not by the request rows, which deletion rewrites):
-- deleting one's data does not reset the limit. No name or address is kept,
-- and a row lives an hour.
CREATE TABLE submissions (
    who bytea       NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_who ON submissions (who, at);
