-- The relays poll the outbox (shared/relay.py, every 50 ms when idle)
-- rather than wake on a NOTIFY from each insert: a transaction that
-- notifies holds one lock for the whole database from its commit until
-- its commit record is on disk, so every writer's commits queued one
-- behind the other instead of sharing flushes (measured: half the
-- commits a second with six writers).
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
