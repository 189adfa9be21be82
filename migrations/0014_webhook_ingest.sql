-- Webhook ingest (decisions D21): the deliveries that arrive together, of any companies, stored with their
-- processing jobs in one statement and one commit. Like shop_for_webhook, this is an entry point before any tenant
-- scope: the server found each delivery's (company, shop) by its domain and checked its HMAC with that shop's
-- secret. The composite foreign key refuses a shop paired with a company that does not own it. Returns the
-- (shop, event key) of each delivery stored now; a duplicate, or a retry of one earlier in the batch, is not.
CREATE FUNCTION stockyard.ingest_webhooks(p_companies bigint[], p_shops bigint[], p_keys text[], p_webhook_ids text[],
                                          p_topics text[], p_versions text[], p_triggered text[], p_bodies text[])
RETURNS TABLE (shop_id bigint, event_key text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
#variable_conflict use_column
BEGIN
    -- Arrays of optionals do not bind from the server: '' stands for NULL.
    RETURN QUERY
    WITH event AS (
        INSERT INTO stockyard.webhook_events (company_id, shop_id, event_key, webhook_id, topic, api_version, triggered_at, payload)
        SELECT d.company, d.shop, d.key, nullif(d.webhook, ''), d.topic, nullif(d.version, ''),
               nullif(d.triggered, '')::timestamptz, d.body::jsonb
        FROM unnest(p_companies, p_shops, p_keys, p_webhook_ids, p_topics, p_versions, p_triggered, p_bodies)
             WITH ORDINALITY AS d(company, shop, key, webhook, topic, version, triggered, body, n)
        ORDER BY d.n
        ON CONFLICT (company_id, shop_id, event_key) DO NOTHING
        RETURNING company_id, id, shop_id, event_key
    ), job AS (
        INSERT INTO stockyard.sync_jobs (company_id, kind, payload)
        SELECT event.company_id, 'webhook.process', jsonb_build_object('event_id', event.id) FROM event
    )
    SELECT event.shop_id, event.event_key FROM event;
END
$$;
REVOKE ALL ON FUNCTION stockyard.ingest_webhooks(bigint[], bigint[], text[], text[], text[], text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.ingest_webhooks(bigint[], bigint[], text[], text[], text[], text[], text[], text[]) TO stockyard_app;
