-- Version 5: record summaries (projections), written in the same transaction
-- as the record, so that lists, queues, boards and statistics never load or
-- fold a document. The indexed columns filter; `summary` is the JSON of
-- paicha_core::summary::Summary. Existing records are summarised by the
-- server right after this file runs, in the same transaction.
CREATE TABLE summaries (
    doc_id         TEXT PRIMARY KEY REFERENCES documents(id),
    kind           TEXT NOT NULL,
    township       TEXT NOT NULL,
    enterprise     TEXT NOT NULL,
    status         TEXT,
    open_conflicts INTEGER NOT NULL,
    sort_key       INTEGER NOT NULL,
    summary        TEXT NOT NULL
);
CREATE INDEX summaries_township ON summaries(kind, township, status, sort_key);
CREATE INDEX summaries_enterprise ON summaries(kind, enterprise, sort_key);
CREATE INDEX summaries_status ON summaries(kind, status, sort_key);
CREATE INDEX summaries_conflicts ON summaries(kind, open_conflicts) WHERE open_conflicts > 0;
