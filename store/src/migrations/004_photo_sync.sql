-- 004: photo sync. Which photos taken here reached the server, and which
-- photos of records received from other tablets are still to download.
ALTER TABLE photos ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0;
CREATE TABLE photo_wanted (
    sha256 TEXT PRIMARY KEY,
    bytes  INTEGER NOT NULL
);
