-- One row: what is random to this installation. `salt` goes into every key
-- derived from a secret setting (HKDF), so that a key is never the same in
-- two installations that were given the same (weak) secret.
CREATE TABLE installation (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    salt bytea   NOT NULL
);
INSERT INTO installation (id, salt)
VALUES (true, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
