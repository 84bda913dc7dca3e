-- Version 6: enforcement documents (§4). Projections of the order and
-- review-opinion records: the number in parts (R15: a device's sequence is
-- read from here when it numbers its next order), the hidden dangers each
-- order lists, and the document itself as JSON.
CREATE TABLE orders (
    id         TEXT PRIMARY KEY,
    prefix     TEXT NOT NULL,
    year       INTEGER NOT NULL,
    series     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    number     TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    township   TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    voided     INTEGER NOT NULL,
    summary    TEXT NOT NULL
);
CREATE INDEX orders_number ON orders(prefix, year, series, seq);
CREATE INDEX orders_enterprise ON orders(enterprise, issued_at);
CREATE TABLE order_hazards (
    order_id  TEXT NOT NULL,
    hazard_id TEXT NOT NULL,
    PRIMARY KEY (order_id, hazard_id)
);
CREATE INDEX order_hazards_hazard ON order_hazards(hazard_id);
CREATE TABLE review_opinions (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    enterprise  TEXT NOT NULL,
    township    TEXT NOT NULL,
    reviewed_at INTEGER NOT NULL,
    opinion     TEXT NOT NULL
);
CREATE INDEX review_opinions_order ON review_opinions(order_id);
