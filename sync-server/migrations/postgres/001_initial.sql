-- Version 1: the same tables as SQLite's version 4 (sync-server/migrations/sqlite/),
-- in PostgreSQL's types. The server seeds the policy, the reference version and
-- the bundled checklist templates after this file runs, in the same transaction.
CREATE TABLE schema_version (
    version BIGINT NOT NULL
);
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
    created_at  BIGINT NOT NULL,
    enrolled_at BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX devices_code_hash ON devices(code_hash);
CREATE TABLE documents (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    township   TEXT NOT NULL,
    snapshot   BYTEA NOT NULL,
    heads      TEXT NOT NULL
);
CREATE INDEX documents_township ON documents(township);
CREATE INDEX documents_enterprise ON documents(enterprise);
CREATE INDEX documents_kind ON documents(kind);
-- seq is handed out under the change-log advisory lock (see the Storage trait's
-- concurrency contract): sequence numbers commit in order.
CREATE TABLE change_log (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_id      TEXT NOT NULL REFERENCES documents(id),
    device_id   TEXT NOT NULL,
    data        BYTEA NOT NULL,
    heads       TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX change_log_doc ON change_log(doc_id);
CREATE TABLE receipts (
    event_id    TEXT PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    device_time BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    skewed      BOOLEAN NOT NULL
);
CREATE INDEX receipts_doc ON receipts(doc_id);
CREATE INDEX receipts_skewed ON receipts(received_at) WHERE skewed;
CREATE TABLE quarantine (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rule        TEXT NOT NULL,
    message     TEXT NOT NULL,
    data        BYTEA NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE photo_refs (
    sha256 TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    PRIMARY KEY (sha256, doc_id)
);
CREATE INDEX photo_refs_doc ON photo_refs(doc_id);
CREATE TABLE templates (
    id      TEXT NOT NULL,
    version BIGINT NOT NULL,
    json    TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
