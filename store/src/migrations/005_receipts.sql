-- 005: the server's receipt time of each event, once synced (R1).
CREATE TABLE receipts (
    event_id    TEXT PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX receipts_doc ON receipts(doc_id);
