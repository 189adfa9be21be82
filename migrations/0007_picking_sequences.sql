-- Transfer names come from one Postgres sequence per operation type, as Odoo's 'standard' ir.sequence does:
-- taking a number never waits for another transaction (the counter row in stock_picking_types serialized every
-- transfer creation of a type behind the transaction that took the previous number). A rolled-back transfer
-- leaves a gap in the numbering, as in Odoo.

CREATE FUNCTION stockyard.picking_type_sequence_name(type_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'stockyard.picking_type_' || type_id || '_seq' $$;

-- Every new operation type gets its sequence (created by the owner: the app role has no DDL rights).
CREATE FUNCTION stockyard.create_picking_type_sequence() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
BEGIN
    EXECUTE format('CREATE SEQUENCE %s', stockyard.picking_type_sequence_name(NEW.id));
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION stockyard.create_picking_type_sequence() FROM PUBLIC;
CREATE TRIGGER stock_picking_types_sequence AFTER INSERT ON stockyard.stock_picking_types
    FOR EACH ROW EXECUTE FUNCTION stockyard.create_picking_type_sequence();

-- The next name of a transfer of this type ("WH/OUT/00042"), or NULL when the type is not the current company's.
CREATE FUNCTION stockyard.next_picking_name(p_type bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
DECLARE
    prefix text;
BEGIN
    -- As the definer (who bypasses RLS), check the company here.
    SELECT sequence_prefix INTO prefix FROM stockyard.stock_picking_types
    WHERE company_id = stockyard.current_company() AND id = p_type;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN prefix || lpad(nextval(stockyard.picking_type_sequence_name(p_type))::text, 5, '0');
END
$$;
REVOKE ALL ON FUNCTION stockyard.next_picking_name(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.next_picking_name(bigint) TO stockyard_app;

-- The types that exist already continue their numbering.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT id, sequence_next FROM stockyard.stock_picking_types LOOP
        EXECUTE format('CREATE SEQUENCE %s START %s', stockyard.picking_type_sequence_name(t.id), t.sequence_next);
    END LOOP;
END
$$;
ALTER TABLE stockyard.stock_picking_types DROP COLUMN sequence_next;
