-- A push's two database steps, each one statement (decisions D26). The push read its target in a transaction of
-- four statements (BEGIN, the tenant, the read, COMMIT) and recorded its result in one of five (BEGIN, the tenant,
-- the record, the job's done, COMMIT): nine round trips, each a wake-up of both processes, for two steps. Each step
-- is now a function that sets the tenant itself, transaction-local, as its first act, so one statement in its own
-- transaction does what the explicit transaction did. Row-level security applies as before: the functions run as
-- the caller (the app role), in the company they were given, and see nothing of any other.

-- The tenant of this transaction, refusing to replace another: a step called inside a transaction of company A
-- must not turn the rest of it into company B's.
CREATE FUNCTION stockyard.enter_company(p_company bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_company IS NULL THEN
        RAISE EXCEPTION 'a company is required' USING ERRCODE = '22004';
    END IF;
    IF stockyard.current_company() IS DISTINCT FROM p_company AND stockyard.current_company() IS NOT NULL THEN
        RAISE EXCEPTION 'this transaction belongs to company %, not %', stockyard.current_company(), p_company
            USING ERRCODE = '42501';
    END IF;
    PERFORM set_config('app.company_id', p_company::text, true);
END
$$;

-- A job's done in its company's transaction, leased to p_worker; no row when the lease was lost. The row holds when
-- the next job of the same key is due, if one waits (pending, or failed and due for a retry). plpgsql, not sql: a
-- plpgsql statement's plan is kept for the session, an sql function's is made again on every call.
CREATE FUNCTION stockyard.complete_leased_job(p_company bigint, p_job bigint, p_worker text)
RETURNS TABLE (next_of_key timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    UPDATE stockyard.sync_jobs j
    SET state = 'done', finished_at = now(), locked_until = NULL, locked_by = NULL, last_error = NULL, last_error_type = NULL
    WHERE j.company_id = p_company AND j.id = p_job AND j.state = 'running' AND j.locked_by = p_worker
    RETURNING CASE WHEN j.dedupe_key IS NOT NULL THEN least(
        (SELECT min(p.run_at) FROM stockyard.sync_jobs p
         WHERE p.company_id = j.company_id AND p.kind = j.kind AND p.dedupe_key = j.dedupe_key AND p.state = 'pending'),
        (SELECT min(f.run_at) FROM stockyard.sync_jobs f
         WHERE f.company_id = j.company_id AND f.state = 'failed' AND f.kind = j.kind AND f.dedupe_key = j.dedupe_key)) END;
END
$$;

-- What a push reads before it calls the storefront (InventoryLevelRepository.beginPush): the pair's level, its shop's
-- connection, and, where the warehouse drives the level, the value it computes recorded as in flight for p_job
-- (migration 0015). Asynchronous commit, as before (D22): a lost in-flight mark only sends an echo to its job.
CREATE FUNCTION stockyard.begin_inventory_push(p_company bigint, p_storefront_location bigint, p_product bigint, p_job bigint)
RETURNS TABLE (shop_id bigint, storefront_location_id bigint, storefront_location_name text, external_location_id bigint,
               variant_id bigint, inventory_item_id bigint, product_id bigint, sku text, on_hand numeric, reserved numeric,
               buffer integer, last_published integer, last_published_at timestamptz, last_seen integer,
               last_seen_at timestamptz, direction text, publishing boolean, mapped_location_id bigint,
               mapped_location_usage text, api_base_url text, api_version text, access_token_sealed bytea)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM stockyard.enter_company(p_company), set_config('synchronous_commit', 'off', true);
    RETURN QUERY
    WITH a AS (SELECT * FROM stockyard.availability_of_pair(p_storefront_location, p_product)), intent AS (
        INSERT INTO stockyard.inventory_levels (company_id, storefront_location_id, variant_id, in_flight, in_flight_job)
        SELECT a.company_id, a.storefront_location_id, a.variant_id, a.computed, p_job FROM a
        WHERE a.publishing AND a.direction = 'warehouse_to_shop'
        ON CONFLICT (company_id, storefront_location_id, variant_id)
        DO UPDATE SET in_flight = EXCLUDED.in_flight, in_flight_job = EXCLUDED.in_flight_job
    )
    SELECT a.shop_id, a.storefront_location_id, a.storefront_location_name, a.external_location_id, a.variant_id,
           a.inventory_item_id, a.product_id, a.sku, a.on_hand, a.reserved, a.buffer, a.last_published, a.last_published_at,
           a.last_seen, a.last_seen_at, a.direction, a.publishing, a.mapped_location_id, a.mapped_location_usage,
           s.api_base_url, s.api_version, s.access_token_sealed
    FROM a LEFT JOIN stockyard.shops s
        ON s.company_id = a.company_id AND s.id = a.shop_id AND s.api_base_url IS NOT NULL AND s.access_token_sealed IS NOT NULL;
END
$$;

-- What a push records once the storefront holds p_quantity, with its job's done (InventoryLevelRepository.finishPush):
-- the value published (p_sent_at: when its write left, NULL when nothing was written and the observation stays), the
-- drifts of the classes it settles (p_settles) closed with p_resolution, and the job done. A lease lost meanwhile (SY010) rolls the record back with it.
-- Asynchronous commit (D25): lost in a crash, the job runs again and its compare-and-set finds what the storefront holds.
-- Returns when the next job of the key is due, if one waits.
CREATE FUNCTION stockyard.finish_inventory_push(p_company bigint, p_storefront_location bigint, p_variant bigint, p_quantity integer,
                                                p_sent_at timestamptz, p_settles text[], p_resolution text, p_job bigint,
                                                p_worker text)
RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    next_of_key timestamptz;
BEGIN
    PERFORM stockyard.enter_company(p_company), set_config('synchronous_commit', 'off', true);
    UPDATE stockyard.drift_events SET resolved_at = now(), resolution = p_resolution
    WHERE company_id = p_company AND storefront_location_id = p_storefront_location AND variant_id = p_variant
      AND resolved_at IS NULL AND class = ANY (p_settles);
    -- The write is the newest thing known of the level (an echo of it recorded by the ingest meanwhile says the
    -- same), so it replaces the observation: by our clock, not the storefront's.
    INSERT INTO stockyard.inventory_levels AS l (company_id, storefront_location_id, variant_id, last_published,
                                                 last_published_at, last_seen, last_seen_at, last_seen_source)
    VALUES (p_company, p_storefront_location, p_variant, p_quantity, now(), p_quantity, coalesce(p_sent_at, now()), 'push')
    ON CONFLICT (company_id, storefront_location_id, variant_id) DO UPDATE
    SET last_published = EXCLUDED.last_published, last_published_at = EXCLUDED.last_published_at,
        in_flight = NULL, in_flight_job = NULL,
        last_seen = CASE WHEN p_sent_at IS NULL THEN l.last_seen ELSE EXCLUDED.last_seen END,
        last_seen_at = CASE WHEN p_sent_at IS NULL THEN l.last_seen_at ELSE EXCLUDED.last_seen_at END,
        last_seen_source = CASE WHEN p_sent_at IS NULL THEN l.last_seen_source ELSE 'push' END;
    SELECT c.next_of_key INTO next_of_key FROM stockyard.complete_leased_job(p_company, p_job, p_worker) c;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % is no longer leased to %', p_job, p_worker USING ERRCODE = 'SY010';
    END IF;
    RETURN next_of_key;
END
$$;

GRANT EXECUTE ON FUNCTION stockyard.enter_company(bigint), stockyard.complete_leased_job(bigint, bigint, text),
    stockyard.begin_inventory_push(bigint, bigint, bigint, bigint),
    stockyard.finish_inventory_push(bigint, bigint, bigint, integer, timestamptz, text[], text, bigint, text) TO stockyard_app;
