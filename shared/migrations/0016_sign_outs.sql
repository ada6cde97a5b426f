-- AUTH_MODE=oidc: when each person last signed out. A session cookie signed
-- before it is refused, though the browser (or a copy of it) still holds it.
CREATE TABLE IF NOT EXISTS sign_outs (
    email text        PRIMARY KEY,  -- lower-case
    at    timestamptz NOT NULL
);
