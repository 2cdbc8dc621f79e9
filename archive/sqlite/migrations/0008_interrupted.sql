-- Version 8: what a killed process leaves unfinished can be found and
-- settled. A job run names the process running it (host/pid/start), so
-- that a run whose process is gone is marked interrupted rather than left
-- open for ever; captures recorded but not completed (an API page whose
-- posts were not all written) are found by an index of their own.
ALTER TABLE job_runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX job_runs_open ON job_runs(id) WHERE ended_at IS NULL;
CREATE INDEX captures_incomplete ON captures(kind, id) WHERE completed_at IS NULL;
