-- Version 5: random inspection plans (双随机一公开, R16), stored unchangeably: a plan id
-- is written once and never updated; the inputs, the drawn plan and both hashes are kept
-- as they were published, and checked again (planning::verify) whenever a plan is read.
CREATE TABLE plans (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    seed          TEXT NOT NULL,
    inputs        TEXT NOT NULL,
    plan          TEXT NOT NULL,
    inputs_sha256 TEXT NOT NULL,
    plan_sha256   TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE FUNCTION plans_unchangeable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'R16: a stored plan never changes';
END;
$$;
CREATE TRIGGER plans_unchangeable BEFORE UPDATE OR DELETE ON plans
    FOR EACH ROW EXECUTE FUNCTION plans_unchangeable();
