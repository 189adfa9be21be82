-- Our own writes coming back (decisions D22). Every level Stockyard publishes returns as an `inventory_levels/update`
-- webhook, so half of the storefront traffic is echoes, and a `webhook.process` job for each (a claim, a
-- company-scoped transaction of seven statements, an ack) only found that the storefront holds what was published.
-- The ingest now settles those in the statement that stores them, when the event is new (not a replay), names a
-- level that is enabled and linked, is newer than the level's last observation, and reports
--   * the value last published, while nothing else has been seen since (the job's own shortcut), or
--   * the value a push of that level is writing right now, where the warehouse drives the level (live, and
--     `warehouse_to_shop` for the location): whoever wrote it, the storefront then holds what we are writing.
-- The level records the observation, the event is marked processed ("in step (N)"), and no job is made. Everything
-- else (another value, an unknown or excluded subject, a payload that is not whole numbers, an older event, other
-- topics) gets its job as before. When one batch holds
-- several events of a level, only the newest may settle here; the others go to jobs, which drop them as older.

-- The value a running push is writing and that push's job (recorded with the push's read, before its storefront
-- call, only where the warehouse drives the level; cleared when it records what it published). An echo usually
-- arrives before the push has recorded its result: this is how the ingest still knows it. It counts only while that
-- job runs; a push that ended otherwise leaves it behind, ignored.
ALTER TABLE stockyard.inventory_levels ADD COLUMN in_flight integer, ADD COLUMN in_flight_job bigint;

-- A JSON number that is a whole number of at most 18 digits, else NULL (never an error: one odd payload must not
-- fail the batch it arrived in).
CREATE FUNCTION stockyard.json_whole(p_value jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(p_value) = 'number' AND p_value #>> '{}' ~ '^-?[0-9]{1,18}$' THEN (p_value #>> '{}')::bigint END
$$;

-- The events are stored first, so a replay (a key stored before, or earlier in the batch) never reaches the levels;
-- the echoes among the new ones then update their levels, and are marked processed by a second statement. Only the
-- levels of echoes are locked, in key order, so two servers' batches cannot deadlock on each other. A level another
-- transaction holds is waited for: those transactions are short (a push reading its level or recording its result,
-- a webhook job), and the usual holder is the very push whose echo this is, about to record what it wrote.
CREATE OR REPLACE FUNCTION stockyard.ingest_webhooks(p_companies bigint[], p_shops bigint[], p_keys text[], p_webhook_ids text[],
                                                     p_topics text[], p_versions text[], p_triggered text[], p_bodies text[])
RETURNS TABLE (shop_id bigint, event_key text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
#variable_conflict use_column
DECLARE
    stored_shops bigint[];
    stored_keys text[];
    echo_companies bigint[];
    echo_ids bigint[];
    echo_values integer[];
BEGIN
    -- Arrays of optionals do not bind from the server: '' stands for NULL.
    WITH event AS (
        INSERT INTO stockyard.webhook_events (company_id, shop_id, event_key, webhook_id, topic, api_version, triggered_at, payload)
        SELECT d.company, d.shop, d.key, nullif(d.webhook, ''), d.topic, nullif(d.version, ''),
               nullif(d.triggered, '')::timestamptz, d.body::jsonb
        FROM unnest(p_companies, p_shops, p_keys, p_webhook_ids, p_topics, p_versions, p_triggered, p_bodies)
             WITH ORDINALITY AS d(company, shop, key, webhook, topic, version, triggered, body, n)
        ORDER BY d.n
        ON CONFLICT (company_id, shop_id, event_key) DO NOTHING
        RETURNING company_id, id, shop_id, event_key, topic, coalesce(triggered_at, received_at) AS at,
                  stockyard.json_whole(payload -> 'inventory_item_id') AS item, stockyard.json_whole(payload -> 'location_id') AS location,
                  stockyard.json_whole(payload -> 'available') AS available
    ), level AS (
        -- The level each level update names, as the job's levelKey finds it; the newest event per level.
        SELECT DISTINCT ON (e.company_id, sl.id, v.id)
               e.company_id, e.id, sl.id AS storefront_location_id, v.id AS variant_id, e.available::integer AS available, e.at,
               s.cutover_state = 'live' AND coalesce(sl.direction, s.inventory_direction) = 'warehouse_to_shop' AS warehouse_drives
        FROM event e
        JOIN stockyard.shops s ON s.company_id = e.company_id AND s.id = e.shop_id
        JOIN stockyard.storefront_locations sl
            ON sl.company_id = e.company_id AND sl.shop_id = e.shop_id AND sl.external_id = e.location AND sl.sync = 'enabled'
        JOIN stockyard.storefront_variants v
            ON v.company_id = e.company_id AND v.shop_id = e.shop_id AND v.inventory_item_id = e.item AND v.product_id IS NOT NULL
        WHERE e.topic = 'inventory_levels/update' AND e.available BETWEEN -2147483648 AND 2147483647
        ORDER BY e.company_id, sl.id, v.id, e.at DESC, e.id DESC
    ), echoed AS (
        -- The levels whose event is an echo, locked in key order; a level another transaction holds is waited for, and
        -- the rule is checked again on its newest version.
        SELECT l.company_id, l.storefront_location_id, l.variant_id
        FROM stockyard.inventory_levels l
        JOIN level ON l.company_id = level.company_id AND l.storefront_location_id = level.storefront_location_id
                  AND l.variant_id = level.variant_id
        WHERE (l.last_seen_at IS NULL OR l.last_seen_at < level.at)
          AND (l.last_published = level.available AND l.last_seen = l.last_published
               OR level.warehouse_drives AND l.in_flight = level.available
                  AND EXISTS (SELECT FROM stockyard.sync_jobs r
                              WHERE r.company_id = l.company_id AND r.id = l.in_flight_job AND r.state = 'running'))
        ORDER BY l.company_id, l.storefront_location_id, l.variant_id
        FOR UPDATE OF l
    ), echo AS (
        UPDATE stockyard.inventory_levels l
        SET last_seen = level.available, last_seen_at = level.at, last_seen_source = 'webhook'
        FROM level JOIN echoed USING (company_id, storefront_location_id, variant_id)
        WHERE l.company_id = level.company_id AND l.storefront_location_id = level.storefront_location_id
          AND l.variant_id = level.variant_id
        RETURNING level.company_id, level.id, level.available
    ), job AS (
        INSERT INTO stockyard.sync_jobs (company_id, kind, payload)
        SELECT event.company_id, 'webhook.process', jsonb_build_object('event_id', event.id) FROM event
        WHERE NOT EXISTS (SELECT FROM echo WHERE echo.company_id = event.company_id AND echo.id = event.id)
    )
    SELECT (SELECT array_agg(event.shop_id) FROM event), (SELECT array_agg(event.event_key) FROM event),
           array_agg(echo.company_id), array_agg(echo.id), array_agg(echo.available)
    INTO stored_shops, stored_keys, echo_companies, echo_ids, echo_values
    FROM echo;

    IF echo_ids IS NOT NULL THEN
        UPDATE stockyard.webhook_events w SET processed_at = now(), outcome = 'in step (' || x.available || ')'
        FROM unnest(echo_companies, echo_ids, echo_values) AS x(company_id, id, available)
        WHERE w.company_id = x.company_id AND w.id = x.id;
    END IF;
    RETURN QUERY SELECT s.shop_id, s.event_key FROM unnest(stored_shops, stored_keys) AS s(shop_id, event_key);
END
$$;
