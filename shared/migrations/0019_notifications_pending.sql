-- A sender's query for the next message due (services/notifier/repository.py,
-- `due`) walks the queued messages in the order they fall due and skips any
-- whose request has an earlier one still queued. With the old single-column
-- index and statistics taken while the table was small (a new install, the
-- first minutes after a burst), PostgreSQL compared every queued message
-- with every other: 12 ms a call with 3,000 queued, against 0.6 ms with
-- these two indexes, whatever the statistics say.
DROP INDEX IF EXISTS notifications_due;
CREATE INDEX IF NOT EXISTS notifications_due_order ON notifications (due_at, created_at)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS notifications_pending_request
    ON notifications (request_id, due_at, created_at, id) WHERE status = 'pending';
