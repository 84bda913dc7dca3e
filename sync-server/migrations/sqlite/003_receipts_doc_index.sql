-- Version 3: receipts looked up by record.
CREATE INDEX receipts_doc ON receipts(doc_id);
