-- Claims and batched acks commit asynchronously (decisions D14): the client is answered before the WAL reaches
-- the disk, which a crash can undo only for the newest of them, and an undone claim or ack means that a job runs
-- again, never that it is lost (CrashSafetyTests). The setting is transaction-local (set_config(…, true)), so it
-- holds until the claim's or ack's own commit and nowhere else: enqueues, and a handler's writes committed with
-- its done (JobContext.finish), stay durable.

CREATE OR REPLACE FUNCTION stockyard.claim_jobs(p_worker text, p_batch integer, p_lease interval, p_kinds text[] DEFAULT NULL)
RETURNS TABLE (company_id bigint, id bigint, kind text, payload jsonb, attempts integer, max_attempts integer,
               run_at timestamptz, created_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    -- A claim lost in a crash leaves its jobs as they were: they are claimed again.
    SELECT set_config('synchronous_commit', 'off', true);
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

CREATE OR REPLACE FUNCTION stockyard.complete_jobs(p_worker text, p_companies bigint[], p_ids bigint[]) RETURNS SETOF bigint
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    -- An ack lost in a crash leaves its jobs running: their leases expire and they run again.
    SELECT set_config('synchronous_commit', 'off', true);
    UPDATE stockyard.sync_jobs j
    SET state = 'done', finished_at = now(), locked_until = NULL, locked_by = NULL, last_error = NULL, last_error_type = NULL
    FROM unnest(p_companies, p_ids) AS k(company_id, id)
    WHERE j.company_id = k.company_id AND j.id = k.id AND j.state = 'running' AND j.locked_by = p_worker
    RETURNING j.id
$$;
