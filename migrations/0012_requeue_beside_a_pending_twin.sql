-- A job going back to pending (its runner's lease expired, or a graceful stop released it) may find a newer
-- pending job with the same (company, kind, dedupe key) already queued: a change coalesced while it ran. The
-- partial unique index on pending keys then refused the whole statement, and since reclaim_expired_jobs covers
-- every company, one such job stopped reclaims for all. Now each job is requeued on its own: one that collides
-- is cancelled as superseded, because the pending twin holds the latest payload and does the same work.

CREATE OR REPLACE FUNCTION stockyard.reclaim_expired_jobs() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
DECLARE
    job record;
    reclaimed integer := 0;
BEGIN
    FOR job IN SELECT company_id, id, attempts, max_attempts, locked_by FROM stockyard.sync_jobs
               WHERE state = 'running' AND locked_until < now() FOR UPDATE SKIP LOCKED LOOP
        reclaimed := reclaimed + 1;
        BEGIN
            UPDATE stockyard.sync_jobs
            SET state = CASE WHEN job.attempts >= job.max_attempts THEN 'dead' ELSE 'pending' END,
                finished_at = CASE WHEN job.attempts >= job.max_attempts THEN now() END,
                locked_until = NULL, locked_by = NULL,
                last_error = 'the lease expired: the runner ' || coalesce(job.locked_by, '?') || ' stopped without finishing the job',
                last_error_type = 'lease_expired'
            WHERE company_id = job.company_id AND id = job.id;
        EXCEPTION WHEN unique_violation THEN
            UPDATE stockyard.sync_jobs
            SET state = 'cancelled', finished_at = now(), locked_until = NULL, locked_by = NULL,
                last_error = 'the lease expired: the runner ' || coalesce(job.locked_by, '?')
                             || ' stopped without finishing the job; a pending job with the same key does its work',
                last_error_type = 'superseded'
            WHERE company_id = job.company_id AND id = job.id;
        END;
    END LOOP;
    RETURN reclaimed;
END
$$;

CREATE OR REPLACE FUNCTION stockyard.release_jobs(p_worker text, p_companies bigint[], p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
DECLARE
    job record;
    released integer := 0;
BEGIN
    FOR job IN SELECT j.company_id, j.id FROM stockyard.sync_jobs j
               JOIN unnest(p_companies, p_ids) AS k(company_id, id) ON j.company_id = k.company_id AND j.id = k.id
               WHERE j.state = 'running' AND j.locked_by = p_worker FOR UPDATE OF j LOOP
        released := released + 1;
        BEGIN
            UPDATE stockyard.sync_jobs
            SET state = 'pending', attempts = greatest(attempts - 1, 0), locked_until = NULL, locked_by = NULL
            WHERE company_id = job.company_id AND id = job.id;
        EXCEPTION WHEN unique_violation THEN
            UPDATE stockyard.sync_jobs
            SET state = 'cancelled', finished_at = now(), attempts = greatest(attempts - 1, 0), locked_until = NULL,
                locked_by = NULL, last_error = 'released at shutdown; a pending job with the same key does its work',
                last_error_type = 'superseded'
            WHERE company_id = job.company_id AND id = job.id;
        END;
    END LOOP;
    RETURN released;
END
$$;
