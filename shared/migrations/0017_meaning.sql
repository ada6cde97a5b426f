-- Matching by meaning (docs/matcher.md). What a host can talk about, in
-- their words; the matcher's vectors of hosts' texts and requests' goals,
-- each under the name of the model that read it (another model: computed
-- again), a host's with the profile version it read (`hosts.updated_at`).
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS experience text;

CREATE TABLE IF NOT EXISTS host_vectors (
    host_id    uuid        PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
    model      text        NOT NULL,
    profile_at timestamptz NOT NULL,  -- the hosts.updated_at it read
    vector     bytea       NOT NULL   -- float16, shared.meaning.STORED
);

CREATE TABLE IF NOT EXISTS goal_vectors (
    request_id uuid  PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    model      text  NOT NULL,
    vector     bytea NOT NULL
);
