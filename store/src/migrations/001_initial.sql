-- 001: the first schema. Frozen: never edit a released migration, add one.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE people (
    id   TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    json TEXT NOT NULL
);

CREATE TABLE enterprises (
    credit_code TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    township    TEXT NOT NULL,
    grid        TEXT NOT NULL,
    risk_colour TEXT NOT NULL,
    json        TEXT NOT NULL
);
CREATE INDEX enterprises_township ON enterprises(township);

CREATE TABLE templates (
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    sector  TEXT NOT NULL,
    title   TEXT NOT NULL,
    sha256  TEXT NOT NULL,
    json    TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE policy (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    json TEXT NOT NULL
);

-- Automerge documents: a compacted snapshot plus incremental changes since.
CREATE TABLE documents (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    snapshot   BLOB NOT NULL,
    changes    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE TABLE document_changes (
    doc_id TEXT NOT NULL REFERENCES documents(id),
    seq    INTEGER NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
);

-- Projection of hidden dangers: written in the same transaction as the
-- document, so lists, queues and statistics never load a document.
CREATE TABLE hazards (
    id              TEXT PRIMARY KEY REFERENCES documents(id),
    enterprise      TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    township        TEXT NOT NULL,
    grid            TEXT NOT NULL,
    sector          TEXT NOT NULL,
    risk_colour     TEXT NOT NULL,
    level           TEXT NOT NULL,
    status          TEXT NOT NULL,
    handling        TEXT NOT NULL,
    description     TEXT NOT NULL,
    reported_at     INTEGER NOT NULL,
    reported_by     TEXT NOT NULL,
    deadline        TEXT NOT NULL,
    deadline_end    INTEGER NOT NULL,
    submitted_at    INTEGER,
    closed_at       INTEGER,
    closure_kind    TEXT,
    inspection_id   TEXT,
    item_code       TEXT,
    listed          TEXT,
    open_conflicts  INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX hazards_township_status ON hazards(township, status);
CREATE INDEX hazards_status_deadline ON hazards(status, deadline_end);
CREATE INDEX hazards_enterprise ON hazards(enterprise);
CREATE INDEX hazards_inspection ON hazards(inspection_id);

CREATE TABLE inspections (
    id               TEXT PRIMARY KEY REFERENCES documents(id),
    enterprise       TEXT NOT NULL,
    township         TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    source           TEXT NOT NULL,
    inspectors       TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER
);
CREATE INDEX inspections_enterprise ON inspections(enterprise);

CREATE TABLE inspection_answers (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    item_code     TEXT NOT NULL,
    value         TEXT NOT NULL,
    note          TEXT NOT NULL,
    answered_by   TEXT NOT NULL,
    answered_at   INTEGER NOT NULL,
    PRIMARY KEY (inspection_id, item_code)
);
