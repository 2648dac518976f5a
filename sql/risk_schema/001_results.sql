-- The pipeline's own results (RISK_DATABASE_URL), schema `risk`. Applied once, in file-name order,
-- by risk_assets/results/migrations.py, which records each file in risk.schema_migrations.
-- Student names are deliberately not stored here: the source database keeps them.

CREATE TABLE IF NOT EXISTS risk.student_results (
    week              date    NOT NULL,
    tenant            text    NOT NULL,
    student_id        bigint  NOT NULL,
    class_name        text,
    level             text    NOT NULL,
    coverage          double precision NOT NULL,
    reason_codes      text    NOT NULL,
    theta_status      text    NOT NULL,
    omit_status       text    NOT NULL,
    guess_status      text    NOT NULL,
    attendance_status text    NOT NULL,
    delta_7d          double precision,
    delta_14d         double precision,
    omit_rate         double precision,
    c_hat             double precision,
    absent_2wk        integer,
    sched_2wk         integer,
    max_streak        integer,
    PRIMARY KEY (week, tenant, student_id)
);

CREATE INDEX IF NOT EXISTS student_results_tenant_week_idx ON risk.student_results (tenant, week);

CREATE TABLE IF NOT EXISTS risk.tenant_weeks (
    week               date        NOT NULL,
    tenant             text        NOT NULL,
    org_name           text        NOT NULL,
    total_students     integer     NOT NULL,
    crit_count         integer     NOT NULL,
    warn_count         integer     NOT NULL,
    ok_count           integer     NOT NULL,
    ok_partial_count   integer     NOT NULL,
    insufficient_count integer     NOT NULL,
    new_warn_or_crit   integer,    -- NULL: the previous week was never materialised
    profile            text        NOT NULL,
    figures            jsonb       NOT NULL,
    generated_at       timestamptz NOT NULL,
    PRIMARY KEY (week, tenant)
);
