-- The webhook ingest as one call that commits durably and then wakes the webhook.process runners (decisions D33).
--
-- Why: each delivery is answered only once its batch has committed durably (D32). Through an explicit transaction
-- that took three round trips (BEGIN, the ingest, COMMIT), and the commit NOTIFYed, so it held the database-wide
-- NOTIFY lock through its flush (0025's header). A procedure can commit: one CALL stores the batch, commits it
-- (waiting for the flush, so its reply means durable), and then, if a job was enqueued, sends the wake from a
-- transaction of its own with an asynchronous commit, as 0025 does for an adjustment. One round trip, no NOTIFY lock
-- held through a flush, and an error at commit is the CALL's error.

-- 0025's wake, which the procedures below (and 0027's) call after their data has committed: an error there fails
-- the call although its write is durable. The one it can meet in normal running is a full NOTIFY queue (a listener
-- that stopped reading), so past half full it sends nothing: the runners poll for the jobs as well.
CREATE OR REPLACE FUNCTION stockyard.wake_job_runners(p_kinds text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_notification_queue_usage() > 0.5 THEN
        RETURN;
    END IF;
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify('stockyard_jobs', k) FROM unnest(p_kinds) AS k;
END
$$;

-- 0021's ingest in a transaction marked as waking the webhook.process runners after its commit: its rows, and on each
-- whether a job was enqueued (a batch of echoes, settled at ingest, enqueues none). ingest_webhooks is plpgsql: it
-- has run to its end, and the job trigger with it, before the outer SELECT reads the setting. The mark is cleared
-- before returning, so a later statement of the transaction NOTIFYs as usual.
CREATE FUNCTION stockyard.ingest_webhooks_waking_after_commit(p_companies bigint[], p_shops bigint[], p_keys text[],
                                                               p_webhook_ids text[], p_topics text[], p_versions text[],
                                                               p_triggered text[], p_bodies text[])
RETURNS TABLE (shop_id bigint, event_key text, wake_owed boolean)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('stockyard.wake_after_commit', 'webhook.process', true);
    RETURN QUERY
    SELECT i.shop_id, i.event_key, coalesce(current_setting('stockyard.wake_owed', true), '') = 'on'
    FROM stockyard.ingest_webhooks(p_companies, p_shops, p_keys, p_webhook_ids, p_topics, p_versions, p_triggered, p_bodies) AS i;
    PERFORM set_config('stockyard.wake_after_commit', '', true), set_config('stockyard.wake_owed', '', true);
END
$$;
GRANT EXECUTE ON FUNCTION stockyard.ingest_webhooks_waking_after_commit(bigint[], bigint[], text[], text[], text[], text[], text[], text[])
    TO stockyard_app;

-- The call the server makes: the ingest above, COMMIT, then the wake it owes (0025's wake_job_runners, committed
-- asynchronously). Returns the (shop, event key) of each delivery stored now, as two arrays in the same order.
-- It must be called outside a transaction block (a procedure cannot commit inside one), and it is neither SECURITY
-- DEFINER nor has a SET clause, either of which forbids the COMMIT: the ingest it calls is the entry point that is.
CREATE PROCEDURE stockyard.ingest_webhooks_committed(p_companies bigint[], p_shops bigint[], p_keys text[], p_webhook_ids text[],
                                                     p_topics text[], p_versions text[], p_triggered text[], p_bodies text[],
                                                     INOUT stored_shops bigint[] DEFAULT NULL, INOUT stored_keys text[] DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    wake_owed boolean;
BEGIN
    SELECT coalesce(array_agg(i.shop_id), '{}'), coalesce(array_agg(i.event_key), '{}'), coalesce(bool_or(i.wake_owed), false)
    INTO stored_shops, stored_keys, wake_owed
    FROM stockyard.ingest_webhooks_waking_after_commit(p_companies, p_shops, p_keys, p_webhook_ids, p_topics, p_versions,
                                                       p_triggered, p_bodies) AS i;
    COMMIT;
    IF wake_owed THEN
        PERFORM stockyard.wake_job_runners(ARRAY['webhook.process']);
        COMMIT;
    END IF;
END
$$;
GRANT EXECUTE ON PROCEDURE stockyard.ingest_webhooks_committed(bigint[], bigint[], text[], text[], text[], text[], text[], text[],
                                                               bigint[], text[])
    TO stockyard_app;
