-- Source database contract (the platform's PostgreSQL).
-- The pipeline only reads these tables; sql/snapshot_*.sql are the queries it runs.
-- Deliberately no CHECK constraints on outcome/status: real sources are dirty and
-- the snapshot counts and quarantines bad values instead of failing on them.

CREATE TABLE IF NOT EXISTS organizations (
    org_id      bigint PRIMARY KEY,
    name        text NOT NULL
);

CREATE TABLE IF NOT EXISTS students (
    student_id   bigint PRIMARY KEY,
    org_id       bigint NOT NULL REFERENCES organizations (org_id),
    display_name text NOT NULL,
    class_name   text,
    enrolled_on  date NOT NULL,
    withdrawn_on date
);

CREATE TABLE IF NOT EXISTS items (
    item_id    bigint PRIMARY KEY,
    a          double precision,
    b          double precision,
    c          double precision,
    n_options  integer
);

CREATE TABLE IF NOT EXISTS item_presentations (
    presentation_id  bigint PRIMARY KEY,
    student_id       bigint NOT NULL REFERENCES students (student_id),
    session_id       bigint NOT NULL,
    item_id          bigint NOT NULL REFERENCES items (item_id),
    presented_at     timestamptz NOT NULL,
    outcome          text NOT NULL,            -- 'correct' | 'incorrect' | 'omitted'
    response_time_ms integer
);

CREATE TABLE IF NOT EXISTS theta_estimates (
    estimate_id  bigint PRIMARY KEY,
    student_id   bigint NOT NULL REFERENCES students (student_id),
    estimated_at timestamptz NOT NULL,
    theta        double precision,
    se           double precision
);

CREATE TABLE IF NOT EXISTS school_days (
    org_id      bigint NOT NULL REFERENCES organizations (org_id),
    school_date date NOT NULL,
    PRIMARY KEY (org_id, school_date)
);

CREATE TABLE IF NOT EXISTS attendance (
    student_id  bigint NOT NULL REFERENCES students (student_id),
    school_date date NOT NULL,
    status      text NOT NULL,                 -- 'present' | 'late' | 'absent' | 'excused'
    PRIMARY KEY (student_id, school_date)
);

-- Indexes for the snapshot queries: every query selects one organisation's
-- students and a time range per student.
CREATE INDEX IF NOT EXISTS students_org_idx ON students (org_id);
CREATE INDEX IF NOT EXISTS item_presentations_student_time_idx
    ON item_presentations (student_id, presented_at);
CREATE INDEX IF NOT EXISTS theta_estimates_student_time_idx
    ON theta_estimates (student_id, estimated_at);
-- attendance (student_id, school_date) and school_days (org_id, school_date)
-- are served by their primary keys.
