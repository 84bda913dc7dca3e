-- Version 7: R10's reminders and escalation notices, each sent once per hidden danger
-- and step (key = hidden danger id + '/' + step), and their deliveries to the outlets
-- configured when the notice was made. A failed delivery stays pending with its
-- attempts and last error until it succeeds: never silently dropped.
CREATE TABLE notices (
    key        TEXT PRIMARY KEY,
    hazard_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    township   TEXT NOT NULL,
    summary    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notices_township ON notices(township, created_at);
CREATE TABLE notice_deliveries (
    notice_key      TEXT NOT NULL REFERENCES notices(key),
    outlet          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_attempt_at INTEGER,
    next_attempt_at INTEGER NOT NULL,
    delivered_at    INTEGER,
    PRIMARY KEY (notice_key, outlet)
);
CREATE INDEX notice_deliveries_pending ON notice_deliveries(next_attempt_at) WHERE delivered_at IS NULL;
