-- The sync engine's job table (DESIGN §5, issue 4): a transactional outbox that runners claim with
-- FOR UPDATE SKIP LOCKED. States: pending (ready at run_at), running (leased until locked_until), failed
-- (an attempt failed; retried at run_at), done, dead (gave up; retried only by hand), cancelled (by an operator).

CREATE TABLE stockyard.sync_jobs (
    company_id       bigint NOT NULL REFERENCES stockyard.companies (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,62}$'),
    dedupe_key       text CHECK (dedupe_key IS NULL OR length(dedupe_key) BETWEEN 1 AND 500),
    payload          jsonb NOT NULL DEFAULT '{}',
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'failed', 'done', 'dead', 'cancelled')),
    priority         smallint NOT NULL DEFAULT 0,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     integer NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 1000),
    run_at           timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    locked_by        text,
    last_error       text,
    last_error_type  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    PRIMARY KEY (company_id, id),
    -- A running job always has a lease; no other state has one.
    CHECK ((state = 'running') = (locked_until IS NOT NULL))
);
-- The claim: ready jobs by priority, then due time. Small, because only waiting jobs are in it.
CREATE INDEX sync_jobs_ready ON stockyard.sync_jobs (priority DESC, run_at) WHERE state IN ('pending', 'failed');
-- Expired leases.
CREATE INDEX sync_jobs_running ON stockyard.sync_jobs (locked_until) WHERE state = 'running';
-- Coalescing: one pending job per (company, kind, key).
CREATE UNIQUE INDEX sync_jobs_pending_key ON stockyard.sync_jobs (company_id, kind, dedupe_key)
    WHERE state = 'pending' AND dedupe_key IS NOT NULL;
-- The operators' list (per company, newest first, by state or kind) and the retention purge.
CREATE INDEX sync_jobs_company_state ON stockyard.sync_jobs (company_id, state, id);
CREATE INDEX sync_jobs_finished ON stockyard.sync_jobs (finished_at) WHERE state = 'done';
SELECT stockyard.isolate_by_company('stockyard.sync_jobs');
GRANT SELECT, INSERT, UPDATE ON stockyard.sync_jobs TO stockyard_app;

-- One NOTIFY per statement and kind, never per row; delivered at commit, so a rolled-back enqueue wakes nobody.
CREATE FUNCTION stockyard.notify_sync_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    FOR k IN SELECT DISTINCT kind FROM inserted LOOP
        PERFORM pg_notify('stockyard_jobs', k);
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_jobs_notify AFTER INSERT ON stockyard.sync_jobs
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION stockyard.notify_sync_jobs();

-- Enqueue from SQL (triggers, psql), in the caller's transaction and company. With a key, a pending job of the
-- same (company, kind, key) is coalesced: its payload replaced, the earlier run_at kept. Returns the job id.
CREATE FUNCTION stockyard.enqueue_job(p_kind text, p_dedupe_key text, p_payload jsonb, p_run_at timestamptz DEFAULT now(),
                                      p_priority smallint DEFAULT 0, p_max_attempts integer DEFAULT 10) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO stockyard.sync_jobs AS j (company_id, kind, dedupe_key, payload, run_at, priority, max_attempts)
    VALUES (stockyard.current_company(), p_kind, p_dedupe_key, coalesce(p_payload, '{}'), coalesce(p_run_at, now()),
            coalesce(p_priority, 0), coalesce(p_max_attempts, 10))
    ON CONFLICT (company_id, kind, dedupe_key) WHERE state = 'pending' AND dedupe_key IS NOT NULL
    DO UPDATE SET payload = EXCLUDED.payload, run_at = least(j.run_at, EXCLUDED.run_at),
                  priority = greatest(j.priority, EXCLUDED.priority)
    RETURNING id
$$;
GRANT EXECUTE ON FUNCTION stockyard.enqueue_job(text, text, jsonb, timestamptz, smallint, integer) TO stockyard_app;

-- The runners' side, across companies, so SECURITY DEFINER (the owner bypasses RLS); each job then runs in its
-- own company's scope. Claims a batch: the due jobs by priority and due time, at most a fair share per company
-- among the oldest candidates, each leased to p_worker for p_lease and counted as an attempt. p_kinds, when given,
-- limits the claim to those kinds (a runner dedicated to some kinds; the tests' runners).
CREATE FUNCTION stockyard.claim_jobs(p_worker text, p_batch integer, p_lease interval, p_kinds text[] DEFAULT NULL)
RETURNS TABLE (company_id bigint, id bigint, kind text, payload jsonb, attempts integer, max_attempts integer,
               run_at timestamptz, created_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    WITH candidates AS (
        SELECT c.company_id, c.id, c.priority, c.run_at FROM stockyard.sync_jobs c
        WHERE c.state IN ('pending', 'failed') AND c.run_at <= now() AND (p_kinds IS NULL OR c.kind = ANY(p_kinds))
        ORDER BY c.priority DESC, c.run_at
        LIMIT p_batch * 4
        FOR UPDATE SKIP LOCKED
    ), chosen AS (
        SELECT r.company_id, r.id FROM (
            SELECT candidates.*, row_number() OVER (PARTITION BY candidates.company_id
                                                    ORDER BY candidates.priority DESC, candidates.run_at) AS turn
            FROM candidates) r
        ORDER BY r.turn, r.priority DESC, r.run_at
        LIMIT p_batch
    )
    UPDATE stockyard.sync_jobs j
    SET state = 'running', attempts = j.attempts + 1, locked_by = p_worker, locked_until = now() + p_lease,
        started_at = now()
    FROM chosen WHERE j.company_id = chosen.company_id AND j.id = chosen.id
    RETURNING j.company_id, j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.run_at, j.created_at
$$;

-- Extends the leases of the jobs p_worker still runs (given as parallel arrays of company ids and job ids, so
-- each is found by its primary key).
CREATE FUNCTION stockyard.renew_job_leases(p_worker text, p_companies bigint[], p_ids bigint[], p_lease interval) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    WITH renewed AS (
        UPDATE stockyard.sync_jobs j SET locked_until = now() + p_lease
        FROM unnest(p_companies, p_ids) AS k(company_id, id)
        WHERE j.company_id = k.company_id AND j.id = k.id AND j.state = 'running' AND j.locked_by = p_worker
        RETURNING 1
    )
    SELECT count(*)::int FROM renewed
$$;

-- Jobs whose runner died (lease expired) go back to pending, or to dead when that was their last attempt.
CREATE FUNCTION stockyard.reclaim_expired_jobs() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    WITH reclaimed AS (
        UPDATE stockyard.sync_jobs
        SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
            finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
            locked_until = NULL, locked_by = NULL,
            last_error = 'the lease expired: the runner ' || coalesce(locked_by, '?') || ' stopped without finishing the job',
            last_error_type = 'lease_expired'
        WHERE state = 'running' AND locked_until < now()
        RETURNING 1
    )
    SELECT count(*)::int FROM reclaimed
$$;

-- Gives back the jobs p_worker holds (a graceful stop that could not finish them): pending again, attempt not counted.
CREATE FUNCTION stockyard.release_jobs(p_worker text, p_companies bigint[], p_ids bigint[]) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    WITH released AS (
        UPDATE stockyard.sync_jobs j
        SET state = 'pending', attempts = greatest(j.attempts - 1, 0), locked_until = NULL, locked_by = NULL
        FROM unnest(p_companies, p_ids) AS k(company_id, id)
        WHERE j.company_id = k.company_id AND j.id = k.id AND j.state = 'running' AND j.locked_by = p_worker
        RETURNING 1
    )
    SELECT count(*)::int FROM released
$$;

-- Deletes up to p_batch done jobs finished more than p_retention ago.
CREATE FUNCTION stockyard.purge_done_jobs(p_retention interval, p_batch integer) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    WITH expired AS (
        SELECT company_id, id FROM stockyard.sync_jobs
        WHERE state = 'done' AND finished_at < now() - p_retention ORDER BY finished_at LIMIT p_batch
    ), purged AS (
        DELETE FROM stockyard.sync_jobs j USING expired e WHERE j.company_id = e.company_id AND j.id = e.id RETURNING 1
    )
    SELECT count(*)::int FROM purged
$$;

REVOKE ALL ON FUNCTION stockyard.claim_jobs(text, integer, interval, text[]), stockyard.renew_job_leases(text, bigint[], bigint[], interval),
    stockyard.reclaim_expired_jobs(), stockyard.release_jobs(text, bigint[], bigint[]), stockyard.purge_done_jobs(interval, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.claim_jobs(text, integer, interval, text[]), stockyard.renew_job_leases(text, bigint[], bigint[], interval),
    stockyard.reclaim_expired_jobs(), stockyard.release_jobs(text, bigint[], bigint[]), stockyard.purge_done_jobs(interval, integer)
    TO stockyard_app;

-- For psql users: the figures of GET /v1/jobs/stats, per company (RLS applies: the caller's company only, or
-- every company for the owner). security_invoker so the view does not run with its owner's BYPASSRLS.
CREATE SCHEMA IF NOT EXISTS reporting;
GRANT USAGE ON SCHEMA reporting TO stockyard_app;
CREATE VIEW reporting.sync_job_health WITH (security_invoker = true) AS
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
FROM stockyard.sync_jobs
GROUP BY company_id, kind;
GRANT SELECT ON reporting.sync_job_health TO stockyard_app;

-- Jobs waiting (pending or failed) across companies: the runners' queue-depth gauge.
CREATE FUNCTION stockyard.sync_job_depth() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    SELECT count(*)::int FROM stockyard.sync_jobs WHERE state IN ('pending', 'failed')
$$;
REVOKE ALL ON FUNCTION stockyard.sync_job_depth() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.sync_job_depth() TO stockyard_app;

-- Marks done, in one statement, the jobs p_worker ran whose handlers had no writes of their own to commit with
-- it (the runner batches these acks). Returns the ids it marked; a job whose lease was lost is not among them.
CREATE FUNCTION stockyard.complete_jobs(p_worker text, p_companies bigint[], p_ids bigint[]) RETURNS SETOF bigint
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    UPDATE stockyard.sync_jobs j
    SET state = 'done', finished_at = now(), locked_until = NULL, locked_by = NULL, last_error = NULL, last_error_type = NULL
    FROM unnest(p_companies, p_ids) AS k(company_id, id)
    WHERE j.company_id = k.company_id AND j.id = k.id AND j.state = 'running' AND j.locked_by = p_worker
    RETURNING j.id
$$;
REVOKE ALL ON FUNCTION stockyard.complete_jobs(text, bigint[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.complete_jobs(text, bigint[], bigint[]) TO stockyard_app;
