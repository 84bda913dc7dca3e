-- 003: sync state. Which documents have changes the server has not
-- acknowledged, what the server is known to have, and the edits the server
-- refused, kept for the user to see (never dropped).
CREATE TABLE sync_docs (
    doc_id       TEXT PRIMARY KEY,
    server_heads TEXT NOT NULL DEFAULT '[]',
    dirty        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sync_docs_dirty ON sync_docs(dirty);
INSERT INTO sync_docs(doc_id, server_heads, dirty) SELECT id, '[]', 1 FROM documents;

CREATE TABLE refused_edits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rule        TEXT NOT NULL,
    message     TEXT NOT NULL,
    events      TEXT NOT NULL,
    local_doc   BLOB NOT NULL,
    refused_at  INTEGER NOT NULL
);
