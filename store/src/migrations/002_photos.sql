-- 002: photos kept content-addressed beside the database, and the
-- resumption request of major hidden dangers for verification deadlines (R11).
CREATE TABLE photos (
    sha256      TEXT PRIMARY KEY,
    bytes       INTEGER NOT NULL,
    role        TEXT NOT NULL,
    captured_at INTEGER,
    device_id   TEXT NOT NULL,
    added_at    INTEGER NOT NULL
);
ALTER TABLE hazards ADD COLUMN resumption_requested_at INTEGER;
