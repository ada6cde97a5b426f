-- A sender's query for the next message due (services/notifier/repository.py,
-- `due`) walks the queued messages in the order they fall due and skips any
-- whose request has an earlier one still queued. The old single-column
-- index left PostgreSQL to sort every due message on each call, and to
-- look for the earlier message among all queued ones; these two indexes
-- serve the walk in order and the lookup by request.
DROP INDEX IF EXISTS notifications_due;
CREATE INDEX IF NOT EXISTS notifications_due_order ON notifications (due_at, created_at)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS notifications_pending_request
    ON notifications (request_id, due_at, created_at, id) WHERE status = 'pending';
