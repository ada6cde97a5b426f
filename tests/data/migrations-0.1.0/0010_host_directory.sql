-- Hosts may agree to be listed in the directory requesters pick from, and
-- may pause their invitations until a date (holidays, a busy quarter).
ALTER TABLE hosts ADD COLUMN listed boolean NOT NULL DEFAULT false;
ALTER TABLE hosts ADD COLUMN paused_until date;
CREATE INDEX hosts_listed ON hosts (name) WHERE listed AND active;
