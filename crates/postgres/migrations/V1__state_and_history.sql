-- The states of many organisations, a row per thing, and the history of their runs.

CREATE TABLE dirsync_organisations (
    id          SERIAL PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When a worker last started a run of it: a run is due again `every` after this.
    last_run_at TIMESTAMPTZ
);

CREATE TABLE dirsync_links (
    org      INTEGER NOT NULL REFERENCES dirsync_organisations (id) ON DELETE CASCADE,
    hr       TEXT NOT NULL,
    idp      TEXT NOT NULL,
    baseline JSONB NOT NULL,
    PRIMARY KEY (org, hr)
);
CREATE INDEX dirsync_links_by_idp ON dirsync_links (org, idp);

CREATE TABLE dirsync_cursors (
    org    INTEGER NOT NULL REFERENCES dirsync_organisations (id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    cursor TEXT NOT NULL,
    PRIMARY KEY (org, name)
);

CREATE TABLE dirsync_disabled (
    org     INTEGER NOT NULL REFERENCES dirsync_organisations (id) ON DELETE CASCADE,
    idp     TEXT NOT NULL,
    account JSONB NOT NULL,
    PRIMARY KEY (org, idp)
);

CREATE TABLE dirsync_held (
    org   INTEGER NOT NULL REFERENCES dirsync_organisations (id) ON DELETE CASCADE,
    id    TEXT NOT NULL,
    write JSONB NOT NULL,
    PRIMARY KEY (org, id)
);

-- Who holds an organisation's lease, for the error a second sync gets; the lease itself is a
-- session advisory lock, which ends with its holder's connection.
CREATE TABLE dirsync_leases (
    org    INTEGER PRIMARY KEY REFERENCES dirsync_organisations (id) ON DELETE CASCADE,
    holder TEXT NOT NULL,
    since  TIMESTAMPTZ NOT NULL
);

CREATE TABLE dirsync_runs (
    id          BIGSERIAL PRIMARY KEY,
    org         INTEGER NOT NULL REFERENCES dirsync_organisations (id) ON DELETE CASCADE,
    holder      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    outcome     TEXT NOT NULL,
    counts      JSONB NOT NULL,
    error       TEXT
);
CREATE INDEX dirsync_runs_by_start ON dirsync_runs (org, started_at DESC);

CREATE TABLE dirsync_run_writes (
    run     BIGINT NOT NULL REFERENCES dirsync_runs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    name    TEXT NOT NULL,
    target  TEXT NOT NULL,
    hr      TEXT,
    idp     TEXT,
    action  TEXT NOT NULL,
    field   TEXT,
    before  JSONB,
    after   JSONB,
    outcome TEXT NOT NULL,
    error   TEXT,
    PRIMARY KEY (run, seq)
);
CREATE INDEX dirsync_run_writes_by_hr ON dirsync_run_writes (hr) WHERE hr IS NOT NULL;
CREATE INDEX dirsync_run_writes_by_idp ON dirsync_run_writes (idp) WHERE idp IS NOT NULL;
