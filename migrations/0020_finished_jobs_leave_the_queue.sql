-- Finished jobs leave the queue's table (DESIGN §5; decisions D27, which replaces D13's purge). A job's `done` was an
-- UPDATE: a new row version in three indexes of sync_jobs and the old one left dead in two more, in a table that
-- held a day of done jobs. Every vacuum of the queue then read indexes the size of a day's work to free a few
-- thousand waiting and running rows, and the purge deleted that day again row by row. Now `done` moves the row: a
-- DELETE from sync_jobs and an INSERT into sync_job_history, which is partitioned by the UTC day the job finished and
-- has one index. A day past the retention is dropped whole. sync_jobs keeps what waits, runs or can still be retried
-- by hand (pending, running, failed, dead, cancelled).

CREATE TABLE stockyard.sync_job_history (
    company_id    bigint NOT NULL REFERENCES stockyard.companies (id),
    id            bigint NOT NULL,
    kind          text NOT NULL,
    dedupe_key    text,
    payload       jsonb NOT NULL,
    priority      smallint NOT NULL,
    attempts      integer NOT NULL,
    max_attempts  integer NOT NULL,
    run_at        timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz NOT NULL
) PARTITION BY RANGE (finished_at);
-- A job by its id, and a company's jobs in id order (the jobs API).
CREATE INDEX sync_job_history_job ON stockyard.sync_job_history (company_id, id);
-- Where a finish goes when its day has no partition (the runners' upkeep has not run for days).
CREATE TABLE stockyard.sync_job_history_default PARTITION OF stockyard.sync_job_history DEFAULT;
SELECT stockyard.isolate_by_company('stockyard.sync_job_history');
SELECT stockyard.isolate_by_company('stockyard.sync_job_history_default');
-- The app role reaches the history through the parent only; the partitions grant it nothing, and have the tenant
-- policy too (TenancyTests: every table with a company_id has it).
GRANT SELECT, INSERT ON stockyard.sync_job_history TO stockyard_app;
GRANT DELETE ON stockyard.sync_jobs TO stockyard_app;

-- The runners' upkeep (JobRunner housekeeping): partitions for today and the next two UTC days, and the days that ended
-- more than p_retention ago dropped. Returns the partitions dropped plus the rows of the default partition deleted.
-- Adding or dropping a partition locks the whole history, so the upkeep never waits in line for it (a long report
-- reading the history would queue every finish behind it): it gives up after a moment and tries again next round.
CREATE FUNCTION stockyard.keep_job_history(p_retention interval) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp SET lock_timeout = '200ms' AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    day date;
    part text;
    removed integer := 0;
    deleted integer;
BEGIN
    -- One runner's upkeep at a time; the others skip the round.
    IF NOT pg_try_advisory_xact_lock(hashtext('stockyard.sync_job_history')) THEN
        RETURN 0;
    END IF;
    FOR day IN SELECT d::date FROM generate_series(today, today + 2, interval '1 day') AS d LOOP
        part := 'sync_job_history_' || to_char(day, 'YYYYMMDD');
        -- A day the default partition already holds rows of cannot get its own partition: it stays there.
        CONTINUE WHEN to_regclass('stockyard.' || part) IS NOT NULL OR EXISTS (
            SELECT FROM stockyard.sync_job_history_default
            WHERE finished_at >= day::timestamp AT TIME ZONE 'UTC' AND finished_at < (day + 1)::timestamp AT TIME ZONE 'UTC');
        BEGIN
            EXECUTE format('CREATE TABLE stockyard.%I PARTITION OF stockyard.sync_job_history FOR VALUES FROM (%L) TO (%L)',
                           part, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
            PERFORM stockyard.isolate_by_company(('stockyard.' || part)::regclass);
        EXCEPTION WHEN lock_not_available THEN
            RETURN removed;
        END;
    END LOOP;
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'stockyard.sync_job_history'::regclass AND c.relname ~ '^sync_job_history_[0-9]{8}$'
          AND (to_date(right(c.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= now() - p_retention
        ORDER BY c.relname
    LOOP
        BEGIN
            EXECUTE format('DROP TABLE stockyard.%I', part);
            removed := removed + 1;
        EXCEPTION WHEN lock_not_available THEN
            RETURN removed;
        END;
    END LOOP;
    DELETE FROM stockyard.sync_job_history_default WHERE finished_at < now() - p_retention;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN removed + deleted;
END
$$;
REVOKE ALL ON FUNCTION stockyard.keep_job_history(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.keep_job_history(interval) TO stockyard_app;
SELECT stockyard.keep_job_history(interval '100 years');

-- The done jobs already there move, and the queue's table refuses `done` from now on.
WITH finished AS (DELETE FROM stockyard.sync_jobs WHERE state = 'done' RETURNING *)
INSERT INTO stockyard.sync_job_history (company_id, id, kind, dedupe_key, payload, priority, attempts, max_attempts, run_at,
                                        created_at, started_at, finished_at)
SELECT company_id, id, kind, dedupe_key, payload, priority, attempts, max_attempts, run_at, created_at, started_at,
       coalesce(finished_at, now())
FROM finished;
ALTER TABLE stockyard.sync_jobs DROP CONSTRAINT sync_jobs_state_check,
    ADD CONSTRAINT sync_jobs_state_check CHECK (state IN ('pending', 'running', 'failed', 'dead', 'cancelled'));
-- With done jobs deleted, the table's last pages empty out, and vacuum's truncation of them takes an ACCESS EXCLUSIVE
-- lock on the queue: every enqueue, claim and finish stopped behind it (stalls of 0.2–0.9 s under `ops/bench
-- inventory`, about once a minute, at each autovacuum). The queue keeps its pages instead; they are reused.
ALTER TABLE stockyard.sync_jobs SET (vacuum_truncate = false);
-- The purge's index and the operators' list by state (the queue's table is small now: its primary key serves the list).
DROP INDEX stockyard.sync_jobs_finished, stockyard.sync_jobs_company_state;
DROP FUNCTION stockyard.purge_done_jobs(interval, integer);

-- A job's done, leased to p_worker, in its company's transaction (migration 0018), now a move to the history.
CREATE OR REPLACE FUNCTION stockyard.complete_leased_job(p_company bigint, p_job bigint, p_worker text)
RETURNS TABLE (next_of_key timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    WITH finished AS (
        DELETE FROM stockyard.sync_jobs j
        WHERE j.company_id = p_company AND j.id = p_job AND j.state = 'running' AND j.locked_by = p_worker
        RETURNING j.*
    ), kept AS (
        INSERT INTO stockyard.sync_job_history (company_id, id, kind, dedupe_key, payload, priority, attempts, max_attempts, run_at,
                                                created_at, started_at, finished_at)
        SELECT f.company_id, f.id, f.kind, f.dedupe_key, f.payload, f.priority, f.attempts, f.max_attempts, f.run_at,
               f.created_at, f.started_at, now()
        FROM finished f
    )
    SELECT CASE WHEN f.dedupe_key IS NOT NULL THEN least(
        (SELECT min(p.run_at) FROM stockyard.sync_jobs p
         WHERE p.company_id = f.company_id AND p.kind = f.kind AND p.dedupe_key = f.dedupe_key AND p.state = 'pending'),
        (SELECT min(r.run_at) FROM stockyard.sync_jobs r
         WHERE r.company_id = f.company_id AND r.state = 'failed' AND r.kind = f.kind AND r.dedupe_key = f.dedupe_key)) END
    FROM finished f;
END
$$;

-- The runner's batched acks (migration 0013), now a move to the history.
CREATE OR REPLACE FUNCTION stockyard.complete_jobs(p_worker text, p_companies bigint[], p_ids bigint[]) RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
BEGIN
    -- An ack lost in a crash leaves its jobs running: their leases expire and they run again.
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN QUERY
    WITH finished AS (
        DELETE FROM stockyard.sync_jobs j
        USING unnest(p_companies, p_ids) AS k(company_id, id)
        WHERE j.company_id = k.company_id AND j.id = k.id AND j.state = 'running' AND j.locked_by = p_worker
        RETURNING j.*
    ), kept AS (
        INSERT INTO stockyard.sync_job_history (company_id, id, kind, dedupe_key, payload, priority, attempts, max_attempts, run_at,
                                                created_at, started_at, finished_at)
        SELECT f.company_id, f.id, f.kind, f.dedupe_key, f.payload, f.priority, f.attempts, f.max_attempts, f.run_at,
               f.created_at, f.started_at, now()
        FROM finished f
    )
    SELECT f.id FROM finished f;
END
$$;

-- Every job, wherever it is: waiting, running or retryable in the queue, done in the history. For psql users and
-- the jobs API; RLS applies to both tables (security_invoker).
CREATE VIEW reporting.sync_jobs WITH (security_invoker = true) AS
SELECT company_id, id, kind, dedupe_key, payload, state, priority, attempts, max_attempts, run_at, locked_until, locked_by,
       last_error, last_error_type, created_at, started_at, finished_at
FROM stockyard.sync_jobs
UNION ALL
SELECT company_id, id, kind, dedupe_key, payload, 'done'::text, priority, attempts, max_attempts, run_at, NULL::timestamptz,
       NULL::text, NULL::text, NULL::text, created_at, started_at, finished_at
FROM stockyard.sync_job_history;
GRANT SELECT ON reporting.sync_jobs TO stockyard_app;

CREATE OR REPLACE VIEW reporting.sync_job_health WITH (security_invoker = true) AS
SELECT company_id, kind,
       count(*) FILTER (WHERE state = 'pending')   AS pending,
       count(*) FILTER (WHERE state = 'running')   AS running,
       count(*) FILTER (WHERE state = 'failed')    AS failed,
       count(*) FILTER (WHERE state = 'dead')      AS dead,
       count(*) FILTER (WHERE state = 'done')      AS done,
       count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
       extract(epoch FROM now() - min(run_at) FILTER (WHERE state IN ('pending', 'failed') AND run_at <= now()))
           AS oldest_due_seconds,
       count(*) FILTER (WHERE state = 'done' AND finished_at > now() - interval '1 hour') AS done_last_hour,
       count(*) FILTER (WHERE state IN ('failed', 'dead') AND last_error IS NOT NULL
                        AND coalesce(finished_at, started_at) > now() - interval '1 hour') AS failing_last_hour
FROM reporting.sync_jobs
GROUP BY company_id, kind;
