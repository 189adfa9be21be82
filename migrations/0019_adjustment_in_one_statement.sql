-- An inventory adjustment in one statement (decisions D26, as the push's steps in 0018). It took up to seven round
-- trips: BEGIN, the tenant, the location and the quant locked, the quant created and locked again on a first count,
-- the change, COMMIT. The function sets the tenant itself and does the same reads and writes in the same order.
--
-- The rule stays with its owner: the function applies what InventoryAdjustment.change (StockyardCore) computes, a
-- count (p_counted) replacing the quantity or a delta (p_delta) added to it, and refuses the same cases, a negative
-- count or a quantity left below zero. A refusal writes nothing and returns the quantity it found, from which Swift
-- gives the client Core's own reason.
--
-- One row: the location's usage and the quantity found (NULL when the location is not internal or transit, which
-- also writes nothing), then, when the change was applied, the quant and its move (NULL columns without a move, for
-- a change of zero). No row: the location does not exist in the company.
CREATE FUNCTION stockyard.apply_inventory_adjustment(p_company bigint, p_product bigint, p_location bigint,
                                                     p_counted numeric, p_delta numeric)
RETURNS TABLE (usage text, found_quantity numeric,
               quant_id bigint, quant_product_id bigint, quant_location_id bigint, quant_quantity numeric,
               quant_reserved_quantity numeric, quant_in_date timestamptz,
               move_id bigint, move_reference text, move_origin text, move_product_id bigint, move_product_uom_qty numeric,
               move_quantity numeric, move_location_id bigint, move_location_dest_id bigint, move_state text,
               move_procure_method text, move_is_inventory boolean, move_date timestamptz, move_picking_id bigint,
               move_picking_type_id bigint, move_group_id bigint, move_orig_ids bigint[], move_dest_ids bigint[])
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    v_usage text;
    v_current numeric;
    v_change numeric;
BEGIN
    PERFORM stockyard.enter_company(p_company);
    SELECT l.usage INTO v_usage FROM stockyard.stock_locations l WHERE l.company_id = p_company AND l.id = p_location;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_usage NOT IN ('internal', 'transit') THEN
        usage := v_usage;   -- every other column NULL
        RETURN NEXT;
        RETURN;
    END IF;
    -- The quant, locked; the first count of a product at a location creates it (empty) and locks that, once the
    -- change is known to be allowed (a refused first count leaves no quant behind). A quant another transaction
    -- created meanwhile is locked as it is and the change worked out again.
    SELECT q.quantity INTO v_current FROM stockyard.stock_quants q
    WHERE q.company_id = p_company AND q.product_id = p_product AND q.location_id = p_location FOR UPDATE;
    FOR attempt IN 1..2 LOOP
        v_change := coalesce(p_counted - coalesce(v_current, 0), p_delta);
        IF p_counted < 0 OR coalesce(v_current, 0) + v_change < 0 THEN
            usage := v_usage;
            found_quantity := coalesce(v_current, 0);
            RETURN NEXT;
            RETURN;
        END IF;
        EXIT WHEN v_current IS NOT NULL;
        INSERT INTO stockyard.stock_quants (company_id, product_id, location_id) VALUES (p_company, p_product, p_location)
        ON CONFLICT (company_id, product_id, location_id) DO NOTHING;
        SELECT q.quantity INTO STRICT v_current FROM stockyard.stock_quants q
        WHERE q.company_id = p_company AND q.product_id = p_product AND q.location_id = p_location FOR UPDATE;
    END LOOP;
    -- Never a change without its history (a company is created with its inventory location).
    IF v_change <> 0 AND NOT EXISTS (SELECT FROM stockyard.stock_company_locations c
                                     WHERE c.company_id = p_company AND c.inventory_location_id IS NOT NULL) THEN
        RAISE EXCEPTION 'company % has no inventory location; the adjustment was rolled back', p_company USING ERRCODE = 'SY011';
    END IF;
    -- The change, and unless it is zero the done move (and its line) from or to the company's inventory location.
    RETURN QUERY
    WITH virtual AS (
        SELECT c.inventory_location_id AS id FROM stockyard.stock_company_locations c WHERE c.company_id = p_company
    ), move AS (
        INSERT INTO stockyard.stock_moves (company_id, reference, product_id, product_uom_qty, quantity, location_id,
                                           location_dest_id, state, is_inventory)
        SELECT p_company, 'Product Quantity Updated', p_product, abs(v_change), abs(v_change),
               CASE WHEN v_change > 0 THEN virtual.id ELSE p_location END,
               CASE WHEN v_change > 0 THEN p_location ELSE virtual.id END, 'done', true
        FROM virtual WHERE v_change <> 0
        RETURNING *
    ), line AS (
        INSERT INTO stockyard.stock_move_lines (company_id, move_id, product_id, location_id, location_dest_id,
                                                quantity, picked, state)
        SELECT m.company_id, m.id, m.product_id, m.location_id, m.location_dest_id, m.quantity, true, 'done' FROM move m
    ), quant AS (
        UPDATE stockyard.stock_quants q
        SET quantity = q.quantity + v_change, in_date = CASE WHEN v_change > 0 THEN now() ELSE q.in_date END
        WHERE q.company_id = p_company AND q.product_id = p_product AND q.location_id = p_location
        RETURNING q.id, q.product_id, q.location_id, q.quantity, q.reserved_quantity, q.in_date
    )
    SELECT v_usage, v_current, q.*, m.id, m.reference, m.origin, m.product_id, m.product_uom_qty, m.quantity, m.location_id,
           m.location_dest_id, m.state, m.procure_method, m.is_inventory, m.date, m.picking_id, m.picking_type_id, m.group_id,
           CASE WHEN m.id IS NOT NULL THEN '{}'::bigint[] END, CASE WHEN m.id IS NOT NULL THEN '{}'::bigint[] END
    FROM quant q LEFT JOIN move m ON true;
END
$$;
GRANT EXECUTE ON FUNCTION stockyard.apply_inventory_adjustment(bigint, bigint, bigint, numeric, numeric) TO stockyard_app;
