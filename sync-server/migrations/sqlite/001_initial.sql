-- Version 1: the registry, devices, documents and their change log, receipts, quarantine.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE people (id TEXT PRIMARY KEY, role TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE enterprises (credit_code TEXT PRIMARY KEY, township TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE policy (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
CREATE TABLE devices (
    device_id   TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES people(id),
    actor       TEXT UNIQUE,
    code_hash   TEXT,
    token_hash  TEXT UNIQUE,
    created_at  INTEGER NOT NULL,
    enrolled_at INTEGER,
    revoked_at  INTEGER
);
CREATE TABLE documents (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    township   TEXT NOT NULL,
    snapshot   BLOB NOT NULL,
    heads      TEXT NOT NULL
);
CREATE INDEX documents_township ON documents(township);
CREATE INDEX documents_enterprise ON documents(enterprise);
CREATE TABLE change_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id      TEXT NOT NULL REFERENCES documents(id),
    device_id   TEXT NOT NULL,
    data        BLOB NOT NULL,
    heads       TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX change_log_doc ON change_log(doc_id);
CREATE TABLE receipts (
    event_id    TEXT PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    device_time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    skewed      INTEGER NOT NULL
);
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rule        TEXT NOT NULL,
    message     TEXT NOT NULL,
    data        BLOB NOT NULL,
    received_at INTEGER NOT NULL
);
