-- Hosts' own calendars: where to read them (encrypted) and the busy
-- intervals found there, nothing else (docs/calendars.md).
CREATE TABLE host_calendars (
    host_id           uuid        PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
    kind              text        NOT NULL CHECK (kind IN ('ics', 'caldav')),
    secret            bytea       NOT NULL,   -- Fernet token: address, user name, password
    shown             text        NOT NULL,   -- what is shown back: scheme://host/…
    etag              text,                   -- validators of the last full read (CalDAV: its CTag)
    last_modified     text,
    busy              tstzmultirange NOT NULL DEFAULT '{}',
    busy_until        timestamptz,            -- how far ahead `busy` was read
    connected_at      timestamptz NOT NULL DEFAULT now(),
    next_refresh_at   timestamptz NOT NULL DEFAULT now(),
    refreshed_at      timestamptz,            -- the last good read (unchanged counts)
    changed_at        timestamptz,            -- when `busy` last changed
    failing_since     timestamptz,
    last_error        text,                   -- a reason code (shared/calendars.py)
    stale_notified_at timestamptz             -- the host was told; cleared by a good read
);
CREATE INDEX host_calendars_due ON host_calendars (next_refresh_at);

-- An invitation withdrawn because the host's calendar became busy at its time.
ALTER TABLE matches ADD COLUMN calendar_conflict boolean NOT NULL DEFAULT false;
