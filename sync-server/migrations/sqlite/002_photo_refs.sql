-- Version 2: which records refer to which photos.
CREATE TABLE photo_refs (
    sha256 TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    PRIMARY KEY (sha256, doc_id)
);
CREATE INDEX photo_refs_doc ON photo_refs(doc_id);
