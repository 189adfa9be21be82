-- Each level update's variant found by its one key (company, shop, inventory item). Joined in 0017's statement, the
-- variants were read through the index of (company, shop, linked product) instead, and the item compared row by row:
-- every linked variant of the shop read for each delivery. The planner preferred that scan because, under a nested
-- loop, its cost model counts a shop's variants as one cached, ordered run of pages. A 16-delivery batch read 767
-- buffers to find its levels at 300 variants a shop (84 now), and the cost grew with the catalogue, not the work.
-- A subquery per delivery is planned on its own, where the unique key is the only sensible path whatever the
-- catalogue's size. Nothing else changes: the same rule, the same locks and the same rows (0017's header).
CREATE OR REPLACE FUNCTION stockyard.ingest_webhooks(p_companies bigint[], p_shops bigint[], p_keys text[], p_webhook_ids text[],
                                                     p_topics text[], p_versions text[], p_triggered text[], p_bodies text[])
RETURNS TABLE (shop_id bigint, event_key text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
#variable_conflict use_column
BEGIN
    -- Arrays of optionals do not bind from the server: '' stands for NULL.
    RETURN QUERY
    WITH delivery AS (
        SELECT DISTINCT ON (d.company, d.shop, d.key)
               d.company, d.shop, d.key, nullif(d.webhook, '') AS webhook, d.topic, nullif(d.version, '') AS version,
               nullif(d.triggered, '')::timestamptz AS triggered, d.body::jsonb AS body, d.n
        FROM unnest(p_companies, p_shops, p_keys, p_webhook_ids, p_topics, p_versions, p_triggered, p_bodies)
             WITH ORDINALITY AS d(company, shop, key, webhook, topic, version, triggered, body, n)
        ORDER BY d.company, d.shop, d.key, d.n
    ), named AS MATERIALIZED (
        -- What a level update names, read once per delivery (materialized: inlined, each join would read it again):
        -- its linked variant, found by its one key, as a subquery of its own (see the header).
        SELECT d.company, d.shop, d.key, d.n, coalesce(d.triggered, now()) AS at,
               (SELECT v.id FROM stockyard.storefront_variants v
                WHERE v.company_id = d.company AND v.shop_id = d.shop AND v.product_id IS NOT NULL
                  AND v.inventory_item_id = stockyard.json_whole(d.body -> 'inventory_item_id')) AS variant_id,
               stockyard.json_whole(d.body -> 'location_id') AS location, stockyard.json_whole(d.body -> 'available') AS available
        FROM delivery d
        WHERE d.topic = 'inventory_levels/update'
    ), level AS (
        -- The level each level update names, as the job's levelKey finds it; the newest delivery per level (an untimed
        -- event counts as of its receipt: now(), its received_at).
        SELECT DISTINCT ON (d.company, sl.id, d.variant_id)
               d.company AS company_id, d.shop, d.key, sl.id AS storefront_location_id, d.variant_id,
               d.available::integer AS available, d.at,
               s.cutover_state = 'live' AND coalesce(sl.direction, s.inventory_direction) = 'warehouse_to_shop' AS warehouse_drives
        FROM named d
        JOIN stockyard.shops s ON s.company_id = d.company AND s.id = d.shop
        JOIN stockyard.storefront_locations sl
            ON sl.company_id = d.company AND sl.shop_id = d.shop AND sl.external_id = d.location AND sl.sync = 'enabled'
        WHERE d.variant_id IS NOT NULL AND d.available BETWEEN -2147483648 AND 2147483647
        ORDER BY d.company, sl.id, d.variant_id, d.at DESC, d.n DESC
    ), echoed AS (
        -- The levels whose delivery is an echo, locked in key order; a level another transaction holds is waited for,
        -- and the rule is checked again on its newest version.
        SELECT l.company_id, l.storefront_location_id, l.variant_id, level.shop, level.key, level.available, level.at
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
    ), event AS (
        INSERT INTO stockyard.webhook_events AS w (company_id, shop_id, event_key, webhook_id, topic, api_version, triggered_at, payload,
                                                   processed_at, outcome)
        SELECT d.company, d.shop, d.key, d.webhook, d.topic, d.version, d.triggered, d.body,
               CASE WHEN e.key IS NOT NULL THEN now() END, CASE WHEN e.key IS NOT NULL THEN 'in step (' || e.available || ')' END
        FROM delivery d
        LEFT JOIN echoed e ON e.company_id = d.company AND e.shop = d.shop AND e.key = d.key
        ORDER BY d.n
        ON CONFLICT (company_id, shop_id, event_key) DO NOTHING
        RETURNING w.company_id, w.id, w.shop_id, w.event_key, w.processed_at IS NOT NULL AS settled
    ), echo AS (
        UPDATE stockyard.inventory_levels l
        SET last_seen = e.available, last_seen_at = e.at, last_seen_source = 'webhook'
        FROM echoed e
        JOIN event ON event.company_id = e.company_id AND event.shop_id = e.shop AND event.event_key = e.key
        WHERE l.company_id = e.company_id AND l.storefront_location_id = e.storefront_location_id AND l.variant_id = e.variant_id
    ), job AS (
        INSERT INTO stockyard.sync_jobs (company_id, kind, payload)
        SELECT event.company_id, 'webhook.process', jsonb_build_object('event_id', event.id) FROM event WHERE NOT event.settled
    )
    SELECT event.shop_id, event.event_key FROM event;
END
$$;
