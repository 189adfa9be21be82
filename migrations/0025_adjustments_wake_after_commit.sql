-- A standalone inventory adjustment wakes the push runners after its commit, not from inside it (decisions D31).
--
-- Why: a transaction that NOTIFYs takes one database-wide lock at commit and holds it until its commit record is
-- flushed, so NOTIFYing commits cannot share a WAL flush; they flush one after another. Every adjustment of a
-- published product enqueues an inventory.push, and the insert's trigger (0008) NOTIFYs, so one slow flush
-- (50–150 ms, now and then, on the bench host) held up every adjustment behind it, and they all committed and
-- pushed in one burst afterwards. The wait-event monitor showed them waiting on that lock (Lock:object).
--
-- How: the adjustment marks its own transaction as waking after commit; the trigger then leaves that kind's NOTIFY
-- out and records that a wake is owed; the function returns that, and the caller, once the statement has committed,
-- sends the wake from a transaction of its own with an asynchronous commit, which holds the lock for microseconds.
-- Only the statement that is its own transaction does this. An adjustment inside a caller's transaction (an
-- Idempotency-Key) cannot know when that commits, so it NOTIFYs as before. A wake that is lost (the process dies
-- between the commit and the wake) costs one poll interval: the runners poll as well.

-- The trigger of 0008, leaving out the kind whose wake the transaction sends after its commit.
CREATE OR REPLACE FUNCTION stockyard.notify_sync_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    FOR k IN SELECT DISTINCT kind FROM inserted LOOP
        IF k = current_setting('stockyard.wake_after_commit', true) THEN
            PERFORM set_config('stockyard.wake_owed', 'on', true);
        ELSE
            PERFORM pg_notify('stockyard_jobs', k);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- The wake: a NOTIFY per kind with an asynchronous commit (nothing here needs to be durable), so the lock is not
-- held through a flush. Run it as a transaction of its own: the asynchronous commit covers the whole transaction.
CREATE FUNCTION stockyard.wake_job_runners(p_kinds text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify('stockyard_jobs', k) FROM unnest(p_kinds) AS k;
END
$$;
GRANT EXECUTE ON FUNCTION stockyard.wake_job_runners(text[]) TO stockyard_app;

-- 0019's adjustment in a transaction marked as waking the inventory.push runners after its commit; the rows of
-- 0019, and whether a push was enqueued (the wake the caller owes). 0019's function has run to its end, and its
-- quant trigger with it, before the outer SELECT reads the setting: a plpgsql function hands back all its rows at once.
-- The mark is cleared before returning, so a later statement of the same transaction NOTIFYs as usual; the caller
-- runs this as a statement of its own, and wakes only once it has committed.
CREATE FUNCTION stockyard.apply_inventory_adjustment_waking_after_commit(p_company bigint, p_product bigint, p_location bigint,
                                                                         p_counted numeric, p_delta numeric)
RETURNS TABLE (usage text, found_quantity numeric,
               quant_id bigint, quant_product_id bigint, quant_location_id bigint, quant_quantity numeric,
               quant_reserved_quantity numeric, quant_in_date timestamptz,
               move_id bigint, move_reference text, move_origin text, move_product_id bigint, move_product_uom_qty numeric,
               move_quantity numeric, move_location_id bigint, move_location_dest_id bigint, move_state text,
               move_procure_method text, move_is_inventory boolean, move_date timestamptz, move_picking_id bigint,
               move_picking_type_id bigint, move_group_id bigint, move_orig_ids bigint[], move_dest_ids bigint[],
               wake_owed boolean)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('stockyard.wake_after_commit', 'inventory.push', true);
    RETURN QUERY
    SELECT a.*, coalesce(current_setting('stockyard.wake_owed', true), '') = 'on'
    FROM stockyard.apply_inventory_adjustment(p_company, p_product, p_location, p_counted, p_delta) AS a;
    PERFORM set_config('stockyard.wake_after_commit', '', true), set_config('stockyard.wake_owed', '', true);
END
$$;
GRANT EXECUTE ON FUNCTION stockyard.apply_inventory_adjustment_waking_after_commit(bigint, bigint, bigint, numeric, numeric)
    TO stockyard_app;
