-- Version 6: the web console's accounts and sessions (docs/adr/0009-web-console.md).
-- Passwords are argon2id PHC strings; session ids are stored only as their SHA-256;
-- failed sign-ins are counted per login name typed, known or not (lockout must not
-- tell whether an account exists).
CREATE TABLE console_passwords (
    person_id TEXT PRIMARY KEY REFERENCES people(id),
    phc       TEXT NOT NULL,
    set_at    INTEGER NOT NULL
);
CREATE TABLE console_sessions (
    id_hash    TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
CREATE INDEX console_sessions_person ON console_sessions(person_id);
CREATE TABLE console_login_failures (
    login    TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at  INTEGER NOT NULL
);
