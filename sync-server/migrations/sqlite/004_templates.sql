-- Version 4: published checklist template versions (R3), seeded with the bundled
-- library by the server after this file runs.
CREATE TABLE templates (
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    json    TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
