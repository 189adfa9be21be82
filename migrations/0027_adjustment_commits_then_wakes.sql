-- A standalone inventory adjustment as one call that commits durably and then wakes the inventory.push runners, as
-- the webhook ingest does since 0026 (decisions D34).
--
-- Before, the server ran 0025's marked adjustment in an explicit transaction (BEGIN, the adjustment, COMMIT: D32)
-- and then sent the wake it owed from a second transaction in the background. The procedure does both in one
-- exchange: the adjustment, COMMIT (its reply comes after the flush, so an answer means a durable write, and an error
-- at commit is the call's error), then the wake, committed asynchronously. It returns 0019's one row as INOUT
-- values; all NULL where 0019 returns no row (the location does not exist in the company). A refusal writes
-- nothing, so committing it commits nothing.
--
-- It must be called outside a transaction block (a procedure cannot commit inside one); an adjustment inside a
-- caller's transaction runs 0019's function and NOTIFYs with that transaction's commit, as before.
CREATE PROCEDURE stockyard.apply_inventory_adjustment_committed(
    p_company bigint, p_product bigint, p_location bigint, p_counted numeric, p_delta numeric,
    INOUT usage text DEFAULT NULL, INOUT found_quantity numeric DEFAULT NULL,
    INOUT quant_id bigint DEFAULT NULL, INOUT quant_product_id bigint DEFAULT NULL, INOUT quant_location_id bigint DEFAULT NULL,
    INOUT quant_quantity numeric DEFAULT NULL, INOUT quant_reserved_quantity numeric DEFAULT NULL,
    INOUT quant_in_date timestamptz DEFAULT NULL,
    INOUT move_id bigint DEFAULT NULL, INOUT move_reference text DEFAULT NULL, INOUT move_origin text DEFAULT NULL,
    INOUT move_product_id bigint DEFAULT NULL, INOUT move_product_uom_qty numeric DEFAULT NULL,
    INOUT move_quantity numeric DEFAULT NULL, INOUT move_location_id bigint DEFAULT NULL,
    INOUT move_location_dest_id bigint DEFAULT NULL, INOUT move_state text DEFAULT NULL,
    INOUT move_procure_method text DEFAULT NULL, INOUT move_is_inventory boolean DEFAULT NULL,
    INOUT move_date timestamptz DEFAULT NULL, INOUT move_picking_id bigint DEFAULT NULL,
    INOUT move_picking_type_id bigint DEFAULT NULL, INOUT move_group_id bigint DEFAULT NULL,
    INOUT move_orig_ids bigint[] DEFAULT NULL, INOUT move_dest_ids bigint[] DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    wake_owed boolean;
BEGIN
    SELECT a.usage, a.found_quantity, a.quant_id, a.quant_product_id, a.quant_location_id, a.quant_quantity,
           a.quant_reserved_quantity, a.quant_in_date, a.move_id, a.move_reference, a.move_origin, a.move_product_id,
           a.move_product_uom_qty, a.move_quantity, a.move_location_id, a.move_location_dest_id, a.move_state,
           a.move_procure_method, a.move_is_inventory, a.move_date, a.move_picking_id, a.move_picking_type_id,
           a.move_group_id, a.move_orig_ids, a.move_dest_ids, a.wake_owed
    INTO usage, found_quantity, quant_id, quant_product_id, quant_location_id, quant_quantity, quant_reserved_quantity,
         quant_in_date, move_id, move_reference, move_origin, move_product_id, move_product_uom_qty, move_quantity,
         move_location_id, move_location_dest_id, move_state, move_procure_method, move_is_inventory, move_date,
         move_picking_id, move_picking_type_id, move_group_id, move_orig_ids, move_dest_ids, wake_owed
    FROM stockyard.apply_inventory_adjustment_waking_after_commit(p_company, p_product, p_location, p_counted, p_delta) AS a;
    COMMIT;
    IF wake_owed THEN
        PERFORM stockyard.wake_job_runners(ARRAY['inventory.push']);
        COMMIT;
    END IF;
END
$$;
GRANT EXECUTE ON PROCEDURE stockyard.apply_inventory_adjustment_committed(
    bigint, bigint, bigint, numeric, numeric, text, numeric, bigint, bigint, bigint, numeric, numeric, timestamptz, bigint, text,
    text, bigint, numeric, numeric, bigint, bigint, text, text, boolean, timestamptz, bigint, bigint, bigint, bigint[], bigint[])
    TO stockyard_app;
