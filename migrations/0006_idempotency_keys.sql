-- Idempotency keys for the writes clients retry (DESIGN §7), and the helper every later tenant table uses to
-- get its row-level security.

-- Enable and force RLS on a tenant table and give it the one policy every tenant table has.
CREATE FUNCTION stockyard.isolate_by_company(tenant_table regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format('CREATE POLICY company_isolation ON %s '
                   'USING (company_id = (SELECT stockyard.current_company())) '
                   'WITH CHECK (company_id = (SELECT stockyard.current_company()))', tenant_table);
END
$$;
REVOKE ALL ON FUNCTION stockyard.isolate_by_company(regclass) FROM PUBLIC;

-- One row per (company, key), claimed before the request runs and completed with its response in the same
-- transaction as its effects: a retry either finds the stored response or (when the first attempt rolled back)
-- runs again, never both; a concurrent duplicate waits on the claim, then replays.
CREATE TABLE stockyard.idempotency_keys (
    company_id             bigint NOT NULL REFERENCES stockyard.companies (id),
    key                    text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- SHA-256 of the method, path and body: the same key with another request is refused.
    request_fingerprint    bytea NOT NULL CHECK (length(request_fingerprint) = 32),
    response_status        smallint CHECK (response_status BETWEEN 100 AND 599),
    response_content_type  text,
    response_location      text,
    response_body          bytea,
    created_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, key),
    CHECK ((response_status IS NULL) = (response_body IS NULL))
);
-- For the purge of expired keys.
CREATE INDEX idempotency_keys_created_at ON stockyard.idempotency_keys (created_at);
SELECT stockyard.isolate_by_company('stockyard.idempotency_keys');
GRANT SELECT, INSERT, UPDATE, DELETE ON stockyard.idempotency_keys TO stockyard_app;

-- Deletes up to batch_size keys older than the retention, across companies (the maintenance job's batch purge).
CREATE FUNCTION stockyard.purge_idempotency_keys(retention interval, batch_size int) RETURNS int
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    WITH expired AS (
        SELECT company_id, key FROM stockyard.idempotency_keys
        WHERE created_at < now() - retention ORDER BY created_at LIMIT batch_size
    ), purged AS (
        DELETE FROM stockyard.idempotency_keys k USING expired e
        WHERE k.company_id = e.company_id AND k.key = e.key RETURNING 1
    )
    SELECT count(*)::int FROM purged
$$;
REVOKE ALL ON FUNCTION stockyard.purge_idempotency_keys(interval, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.purge_idempotency_keys(interval, int) TO stockyard_app;
