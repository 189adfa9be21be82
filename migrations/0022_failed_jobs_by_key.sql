-- A failed job found by its key. When a keyed job is done, complete_leased_job (0018, 0020) asks whether another job
-- of its key waits: pending (sync_jobs_pending_key answers) or failed and due for a retry. Nothing indexed the failed
-- ones by key once 0020 dropped the index by (company, state): the question read every waiting job of the company,
-- 488 buffers for each finished push behind a 15,000-job opening-stock backlog, where it read 15 before. Failed jobs
-- are few, so this index is small and rarely written: a job enters it on a failed attempt and leaves on its retry.
CREATE INDEX sync_jobs_failed_key ON stockyard.sync_jobs (company_id, kind, dedupe_key)
    WHERE state = 'failed' AND dedupe_key IS NOT NULL;
