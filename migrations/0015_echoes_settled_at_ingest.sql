-- Our own writes coming back (decisions D22). Every level Stockyard publishes returns as an `inventory_levels/update`
-- webhook, so half of the storefront traffic is echoes, and a `webhook.process` job for each (a claim, a
-- company-scoped transaction of seven statements, an ack) only found that the storefront holds what was published.
-- The ingest now settles those in the statement that stores them: the event names a level that is enabled and
-- linked, it is newer than the level's last observation, and the storefront reports either the value last
-- published (the job's own shortcut) or the value a push of that level is writing right now. The level records the
-- observation, the event is stored processed ("in step"), and no job is made. Everything else (another value, an
-- unknown or excluded subject, a payload that is not whole numbers, an older event, other topics) gets its job as
-- before. When one batch holds several events of a level, only the newest may settle here; the others go to jobs,
-- which drop them as older.

-- The value a running push is writing (recorded with the push's read, before its storefront call, and cleared when it
-- records what it published). An echo usually arrives before the push has recorded its result; this is how the
-- ingest still knows it. It counts only while that push runs: a push that failed leaves it behind, ignored.
ALTER TABLE stockyard.inventory_levels ADD COLUMN publishing integer;

-- A JSON number that is a whole number of at most 18 digits, else NULL (never an error: one odd payload must not
-- fail the batch it arrived in).
CREATE FUNCTION stockyard.json_whole(p_value jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(p_value) = 'number' AND p_value #>> '{}' ~ '^-?[0-9]{1,18}$' THEN (p_value #>> '{}')::bigint END
$$;

-- One statement: the level is updated before its event is stored, so the event goes in already processed (no second
-- write of it). Only deliveries that say when they were triggered (X-Shopify-Triggered-At; Shopify always sends it)
-- can settle here, so a replay never acts twice: it carries its original's time, and the level's observation is
-- at least that recent once the original was stored (settled here, or by its job). Its event is then a duplicate.
CREATE OR REPLACE FUNCTION stockyard.ingest_webhooks(p_companies bigint[], p_shops bigint[], p_keys text[], p_webhook_ids text[],
                                                     p_topics text[], p_versions text[], p_triggered text[], p_bodies text[])
RETURNS TABLE (shop_id bigint, event_key text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
#variable_conflict use_column
BEGIN
    -- Arrays of optionals do not bind from the server: '' stands for NULL.
    RETURN QUERY
    WITH delivery AS (
        SELECT d.company, d.shop, d.key, nullif(d.webhook, '') AS webhook, d.topic, nullif(d.version, '') AS version,
               nullif(d.triggered, '')::timestamptz AS triggered, d.body::jsonb AS body, d.n
        FROM unnest(p_companies, p_shops, p_keys, p_webhook_ids, p_topics, p_versions, p_triggered, p_bodies)
             WITH ORDINALITY AS d(company, shop, key, webhook, topic, version, triggered, body, n)
    ), level AS (
        -- The level each level update names, as the job's levelKey finds it; the newest delivery per level.
        SELECT DISTINCT ON (d.company, sl.id, v.id)
               d.company, d.shop, d.key, sl.id AS storefront_location_id, v.id AS variant_id, v.product_id,
               d.available::integer AS available, d.at
        FROM (SELECT delivery.*, delivery.triggered AS at,
                     stockyard.json_whole(delivery.body -> 'inventory_item_id') AS item,
                     stockyard.json_whole(delivery.body -> 'location_id') AS location,
                     stockyard.json_whole(delivery.body -> 'available') AS available
              FROM delivery WHERE delivery.topic = 'inventory_levels/update' AND delivery.triggered IS NOT NULL) d
        JOIN stockyard.storefront_locations sl
            ON sl.company_id = d.company AND sl.shop_id = d.shop AND sl.external_id = d.location AND sl.sync = 'enabled'
        JOIN stockyard.storefront_variants v
            ON v.company_id = d.company AND v.shop_id = d.shop AND v.inventory_item_id = d.item AND v.product_id IS NOT NULL
        WHERE d.available BETWEEN -2147483648 AND 2147483647
        ORDER BY d.company, sl.id, v.id, d.at DESC, d.n DESC
    ), echo AS (
        UPDATE stockyard.inventory_levels l
        SET last_seen = level.available, last_seen_at = level.at, last_seen_source = 'webhook'
        FROM level
        WHERE l.company_id = level.company AND l.storefront_location_id = level.storefront_location_id
          AND l.variant_id = level.variant_id
          AND (l.last_seen_at IS NULL OR l.last_seen_at < level.at)
          AND (l.last_published = level.available
               OR l.publishing = level.available
                  AND EXISTS (SELECT FROM stockyard.sync_jobs r
                              WHERE r.company_id = level.company AND r.kind = 'inventory.push' AND r.state = 'running'
                                AND r.dedupe_key = level.storefront_location_id || ':' || level.product_id))
        RETURNING level.company, level.shop, level.key, level.available
    ), event AS (
        INSERT INTO stockyard.webhook_events AS w (company_id, shop_id, event_key, webhook_id, topic, api_version, triggered_at,
                                                   payload, processed_at, outcome)
        SELECT d.company, d.shop, d.key, d.webhook, d.topic, d.version, d.triggered, d.body,
               CASE WHEN echo.key IS NOT NULL THEN now() END, 'in step (' || echo.available || ')'
        FROM delivery d
        LEFT JOIN echo ON echo.company = d.company AND echo.shop = d.shop AND echo.key = d.key
        ORDER BY d.n
        ON CONFLICT (company_id, shop_id, event_key) DO NOTHING
        RETURNING w.company_id, w.id, w.shop_id, w.event_key, w.processed_at
    ), job AS (
        INSERT INTO stockyard.sync_jobs (company_id, kind, payload)
        SELECT event.company_id, 'webhook.process', jsonb_build_object('event_id', event.id) FROM event
        WHERE event.processed_at IS NULL
    )
    SELECT event.shop_id, event.event_key FROM event;
END
$$;
