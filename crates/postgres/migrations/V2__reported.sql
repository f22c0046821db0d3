-- What the last run's report showed (its findings and held-back writes), a row per entry, so
-- that the next report can tell what is new and "email on problems" does not repeat it hourly.

CREATE TABLE dirsync_reported (
    org   INTEGER NOT NULL REFERENCES dirsync_organisations (id) ON DELETE CASCADE,
    id    TEXT NOT NULL,
    entry JSONB NOT NULL,
    PRIMARY KEY (org, id)
);
