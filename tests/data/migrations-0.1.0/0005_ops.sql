-- Replay of dead letters: ops asks (intake), the consuming service replays.
ALTER TABLE dead_letters ADD COLUMN replay_requested_at timestamptz;
ALTER TABLE dead_letters ADD COLUMN replay_result text;
CREATE INDEX dead_letters_replay ON dead_letters (consumer) WHERE replay_requested_at IS NOT NULL AND replayed_at IS NULL;
