-- What a student's trajectory in the report is drawn from (the report week and the five before it): θ with its
-- standard error, and the optional ENGAGEMENT domain's status and rate. NULL in weeks stored before this file
-- (the report then shows the level marks of those weeks without θ) and while ENGAGEMENT is off.
ALTER TABLE risk.student_results
    ADD COLUMN IF NOT EXISTS theta_now double precision,
    ADD COLUMN IF NOT EXISTS se_now double precision,
    ADD COLUMN IF NOT EXISTS engagement_status text,
    ADD COLUMN IF NOT EXISTS rg_rate double precision;
