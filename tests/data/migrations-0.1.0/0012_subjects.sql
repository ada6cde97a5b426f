-- Who each stored message names: the SHA-256 of each address its payload
-- gives to a person (shared/forgetting.py MENTIONS), so that forgetting a
-- person finds exactly their mentions by address, never by searching text.
ALTER TABLE outbox ADD COLUMN subjects text[] NOT NULL DEFAULT '{}';
ALTER TABLE dead_letters ADD COLUMN subjects text[] NOT NULL DEFAULT '{}';
CREATE INDEX outbox_subjects ON outbox USING gin (subjects);
CREATE INDEX dead_letters_subjects ON dead_letters USING gin (subjects);

-- Rows written before: their subjects read from the same fields.
CREATE FUNCTION pg_temp.subjects_of(raw bytea) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    body jsonb;
    p jsonb;
    found text[];
BEGIN
    BEGIN
        body := convert_from(raw, 'UTF8')::jsonb;
    EXCEPTION WHEN others THEN
        RETURN '{}';
    END;
    IF jsonb_typeof(body) <> 'object' OR jsonb_typeof(body->'payload') <> 'object' THEN
        RETURN '{}';
    END IF;
    p := body->'payload';
    found := CASE body->>'event_type'
        WHEN 'IntroRequested' THEN ARRAY[p->'requester'->>'email', p->'referrer'->>'email']
        WHEN 'HostProfileChanged' THEN ARRAY[p->>'email']
        WHEN 'NotificationSent' THEN ARRAY[p->>'recipient']
        WHEN 'NotificationFailed' THEN ARRAY[p->>'recipient']
        ELSE ARRAY[]::text[] END;
    RETURN ARRAY(
        SELECT DISTINCT encode(sha256(convert_to(lower(btrim(a)), 'UTF8')), 'hex')
        FROM unnest(found) a WHERE a IS NOT NULL
    );
END $$;
UPDATE outbox SET subjects = pg_temp.subjects_of(value);
UPDATE dead_letters SET subjects = pg_temp.subjects_of(value);
