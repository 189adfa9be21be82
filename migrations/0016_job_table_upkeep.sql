-- The claim's cost followed the table's history instead of the work (measured with pg_stat_statements and
-- auto_explain under `ops/bench inventory`: 0.9–5 ms a claim while a handful of jobs waited, 40 ms each while a shop
-- going live had 15,000 pushes waiting).
--
-- 1. Every job leaves a dead row version in each partial index it passed through (pending, then running). With the
--    default thresholds (a fifth of the table dead; done jobs stay for a day) autovacuum came rarely. Vacuum and
--    analyze the jobs table after 2% of it (at least 5,000 rows) changed instead. Each vacuum still reads every index
--    of a table that holds a day of done jobs, which is why DESIGN §5 moves finished jobs out (decisions D13, D23).
ALTER TABLE stockyard.sync_jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000,
                                     autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_insert_threshold = 5000,
                                     autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 5000);

-- 2. The plan depended on statistics that a burst makes stale: for a few waiting jobs the planner, still believing
--    in thousands, hashed every running job (dead versions included) to test the key, or sorted the whole backlog.
--    One plan fits every size of queue: walk the ready index in claim order, probe the running-key index per
--    candidate, stop at the limit. The claim now asks for exactly that (no bitmap scans, sorts of the backlog or
--    hashes), keeps it as its generic plan, and tests the key with a plain NOT EXISTS (a job without a key has no
--    running twin: NULL equals nothing). The statement is otherwise unchanged.
CREATE OR REPLACE FUNCTION stockyard.claim_jobs(p_worker text, p_batch integer, p_lease interval, p_kinds text[] DEFAULT NULL)
RETURNS TABLE (company_id bigint, id bigint, kind text, payload jsonb, attempts integer, max_attempts integer,
               run_at timestamptz, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp
SET plan_cache_mode = force_generic_plan SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
    -- A claim lost in a crash leaves its jobs as they were: they are claimed again.
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN QUERY
    WITH candidates AS (
        SELECT c.company_id, c.id, c.kind, c.dedupe_key, c.priority, c.run_at FROM stockyard.sync_jobs c
        WHERE c.state IN ('pending', 'failed') AND c.run_at <= now() AND (p_kinds IS NULL OR c.kind = ANY(p_kinds))
          AND NOT EXISTS (
                SELECT FROM stockyard.sync_jobs r
                WHERE r.company_id = c.company_id AND r.kind = c.kind AND r.dedupe_key = c.dedupe_key AND r.state = 'running')
        ORDER BY c.priority DESC, c.run_at
        LIMIT p_batch * 4
        FOR UPDATE SKIP LOCKED
    ), chosen AS (
        SELECT r.company_id, r.id FROM (
            SELECT candidates.*,
                   row_number() OVER (PARTITION BY candidates.company_id
                                      ORDER BY candidates.priority DESC, candidates.run_at) AS turn,
                   row_number() OVER (PARTITION BY candidates.company_id, candidates.kind,
                                                   coalesce(candidates.dedupe_key, candidates.id::text)
                                      ORDER BY candidates.run_at, candidates.id) AS of_key
            FROM candidates) r
        WHERE r.of_key = 1
        ORDER BY r.turn, r.priority DESC, r.run_at
        LIMIT p_batch
    ), claimed AS (
        UPDATE stockyard.sync_jobs j
        SET state = 'running', attempts = j.attempts + 1, locked_by = p_worker, locked_until = now() + p_lease,
            started_at = now()
        FROM chosen WHERE j.company_id = chosen.company_id AND j.id = chosen.id
        RETURNING j.company_id, j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.run_at, j.created_at
    )
    SELECT * FROM claimed;
END
$$;

-- 3. A plan of the enqueue (the quant trigger's join of the changed quants with the location map, the variants and
--    the levels) cost 5–14 ms to make and well under 1 ms to run, and every connection makes it again after each
--    invalidation (an autovacuum or analyze of any table it reads). Its joins are written in an order that suits
--    every size (the changed quants, their locations, the publishing locations as one block, the variants, the
--    levels), so the planner keeps that order instead of searching all of them: about 1 ms a plan.
ALTER FUNCTION stockyard.enqueue_inventory_pushes(jsonb) SET join_collapse_limit = 1;
ALTER FUNCTION stockyard.enqueue_inventory_pushes(jsonb) SET from_collapse_limit = 1;
