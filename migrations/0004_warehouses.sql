-- Warehouse core, part 3: warehouses and their operation types (Odoo's stock.warehouse, stock.picking.type).

CREATE TABLE stockyard.stock_picking_types (
    company_id                bigint NOT NULL REFERENCES stockyard.companies (id),
    id                        bigint GENERATED ALWAYS AS IDENTITY,
    name                      text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    code                      text NOT NULL CHECK (code IN ('incoming', 'outgoing', 'internal')),
    sequence_code             text NOT NULL CHECK (sequence_code ~ '^[A-Za-z0-9_-]{1,20}$'),
    -- Names are "<prefix><number padded to 5>": WH/PICK/00001. Taken with UPDATE … RETURNING, so no gaps race.
    sequence_prefix           text NOT NULL,
    sequence_next             integer NOT NULL DEFAULT 1 CHECK (sequence_next > 0),
    default_location_src_id   bigint,
    default_location_dest_id  bigint,
    warehouse_id              bigint,
    create_backorder          text NOT NULL DEFAULT 'ask' CHECK (create_backorder IN ('ask', 'always', 'never')),
    checkout_sync             boolean NOT NULL DEFAULT false,
    sequence                  integer NOT NULL DEFAULT 10,
    active                    boolean NOT NULL DEFAULT true,
    create_date               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, default_location_src_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, default_location_dest_id) REFERENCES stockyard.stock_locations (company_id, id)
);
ALTER TABLE stockyard.stock_picking_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_picking_types FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_picking_types
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.stock_picking_types TO stockyard_app;

CREATE TABLE stockyard.stock_warehouses (
    company_id               bigint NOT NULL REFERENCES stockyard.companies (id),
    id                       bigint GENERATED ALWAYS AS IDENTITY,
    name                     text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    code                     text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,5}$'),   -- Odoo: at most 5 characters
    reception_steps          text NOT NULL DEFAULT 'one_step' CHECK (reception_steps IN ('one_step', 'two_steps', 'three_steps')),
    delivery_steps           text NOT NULL DEFAULT 'ship_only' CHECK (delivery_steps IN ('ship_only', 'pick_ship', 'pick_pack_ship')),
    view_location_id         bigint NOT NULL,
    lot_stock_id             bigint NOT NULL,
    wh_input_stock_loc_id    bigint NOT NULL,
    wh_qc_stock_loc_id       bigint NOT NULL,
    wh_pack_stock_loc_id     bigint NOT NULL,
    wh_output_stock_loc_id   bigint NOT NULL,
    in_type_id               bigint NOT NULL,
    out_type_id              bigint NOT NULL,
    pick_type_id             bigint NOT NULL,
    pack_type_id             bigint NOT NULL,
    int_type_id              bigint NOT NULL,
    store_type_id            bigint NOT NULL,
    qc_type_id               bigint NOT NULL,
    create_date              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, code),
    UNIQUE (company_id, name),
    FOREIGN KEY (company_id, view_location_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, lot_stock_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, wh_input_stock_loc_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, wh_qc_stock_loc_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, wh_pack_stock_loc_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, wh_output_stock_loc_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, in_type_id) REFERENCES stockyard.stock_picking_types (company_id, id),
    FOREIGN KEY (company_id, out_type_id) REFERENCES stockyard.stock_picking_types (company_id, id),
    FOREIGN KEY (company_id, pick_type_id) REFERENCES stockyard.stock_picking_types (company_id, id),
    FOREIGN KEY (company_id, pack_type_id) REFERENCES stockyard.stock_picking_types (company_id, id),
    FOREIGN KEY (company_id, int_type_id) REFERENCES stockyard.stock_picking_types (company_id, id),
    FOREIGN KEY (company_id, store_type_id) REFERENCES stockyard.stock_picking_types (company_id, id),
    FOREIGN KEY (company_id, qc_type_id) REFERENCES stockyard.stock_picking_types (company_id, id)
);
ALTER TABLE stockyard.stock_warehouses ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_warehouses FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_warehouses
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.stock_warehouses TO stockyard_app;

ALTER TABLE stockyard.stock_picking_types
    ADD FOREIGN KEY (company_id, warehouse_id) REFERENCES stockyard.stock_warehouses (company_id, id) DEFERRABLE INITIALLY DEFERRED;

-- What stock.warehouse.create does: the view location named by the code, Stock, Input, Quality Control,
-- Packing Zone and Output under it (the ones the chosen steps use are active), and the operation types with
-- their default source and destination for those steps. Runs as the caller, inside its company's scope.
CREATE FUNCTION stockyard.create_warehouse(p_name text, p_code text, p_reception text, p_delivery text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
    DECLARE
        company bigint := stockyard.current_company();
        v_view bigint; v_stock bigint; v_input bigint; v_qc bigint; v_pack bigint; v_output bigint;
        v_supplier bigint; v_customer bigint;
        t_in bigint; t_out bigint; t_pick bigint; t_pack bigint; t_int bigint; t_store bigint; t_qc bigint;
        warehouse bigint;
    BEGIN
        SELECT supplier_location_id, customer_location_id INTO v_supplier, v_customer
        FROM stockyard.stock_company_locations WHERE company_id = company;
        warehouse := nextval(pg_get_serial_sequence('stockyard.stock_warehouses', 'id'));

        INSERT INTO stockyard.stock_locations (company_id, name, usage) VALUES (company, p_code, 'view') RETURNING id INTO v_view;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id) VALUES (company, 'Stock', v_view) RETURNING id INTO v_stock;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id, active)
            VALUES (company, 'Input', v_view, p_reception <> 'one_step') RETURNING id INTO v_input;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id, active)
            VALUES (company, 'Quality Control', v_view, p_reception = 'three_steps') RETURNING id INTO v_qc;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id, active)
            VALUES (company, 'Packing Zone', v_view, p_delivery = 'pick_pack_ship') RETURNING id INTO v_pack;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id, active)
            VALUES (company, 'Output', v_view, p_delivery <> 'ship_only') RETURNING id INTO v_output;

        INSERT INTO stockyard.stock_picking_types (company_id, name, code, sequence_code, sequence_prefix, sequence,
                default_location_src_id, default_location_dest_id, warehouse_id)
            VALUES (company, 'Receipts', 'incoming', 'IN', p_code || '/IN/', 1, v_supplier,
                    CASE WHEN p_reception = 'one_step' THEN v_stock ELSE v_input END, warehouse) RETURNING id INTO t_in;
        INSERT INTO stockyard.stock_picking_types (company_id, name, code, sequence_code, sequence_prefix, sequence,
                default_location_src_id, default_location_dest_id, warehouse_id)
            VALUES (company, 'Delivery Orders', 'outgoing', 'OUT', p_code || '/OUT/', 5,
                    CASE WHEN p_delivery = 'ship_only' THEN v_stock ELSE v_output END, v_customer, warehouse) RETURNING id INTO t_out;
        INSERT INTO stockyard.stock_picking_types (company_id, name, code, sequence_code, sequence_prefix, sequence,
                default_location_src_id, default_location_dest_id, warehouse_id, active)
            VALUES (company, 'Pick', 'internal', 'PICK', p_code || '/PICK/', 3, v_stock,
                    CASE WHEN p_delivery = 'pick_pack_ship' THEN v_pack ELSE v_output END, warehouse, p_delivery <> 'ship_only')
            RETURNING id INTO t_pick;
        INSERT INTO stockyard.stock_picking_types (company_id, name, code, sequence_code, sequence_prefix, sequence,
                default_location_src_id, default_location_dest_id, warehouse_id, active)
            VALUES (company, 'Pack', 'internal', 'PACK', p_code || '/PACK/', 4, v_pack, v_output, warehouse, p_delivery = 'pick_pack_ship')
            RETURNING id INTO t_pack;
        INSERT INTO stockyard.stock_picking_types (company_id, name, code, sequence_code, sequence_prefix, sequence,
                default_location_src_id, default_location_dest_id, warehouse_id)
            VALUES (company, 'Internal Transfers', 'internal', 'INT', p_code || '/INT/', 2, v_stock, v_stock, warehouse)
            RETURNING id INTO t_int;
        INSERT INTO stockyard.stock_picking_types (company_id, name, code, sequence_code, sequence_prefix, sequence,
                default_location_src_id, default_location_dest_id, warehouse_id, active)
            VALUES (company, 'Storage', 'internal', 'STOR', p_code || '/STOR/', 6,
                    CASE WHEN p_reception = 'three_steps' THEN v_qc ELSE v_input END, v_stock, warehouse, p_reception <> 'one_step')
            RETURNING id INTO t_store;
        INSERT INTO stockyard.stock_picking_types (company_id, name, code, sequence_code, sequence_prefix, sequence,
                default_location_src_id, default_location_dest_id, warehouse_id, active)
            VALUES (company, 'Quality Control', 'internal', 'QC', p_code || '/QC/', 7, v_input, v_qc, warehouse, p_reception = 'three_steps')
            RETURNING id INTO t_qc;

        INSERT INTO stockyard.stock_warehouses
            (company_id, id, name, code, reception_steps, delivery_steps, view_location_id, lot_stock_id, wh_input_stock_loc_id,
             wh_qc_stock_loc_id, wh_pack_stock_loc_id, wh_output_stock_loc_id, in_type_id, out_type_id, pick_type_id, pack_type_id,
             int_type_id, store_type_id, qc_type_id)
            OVERRIDING SYSTEM VALUE VALUES (company, warehouse, p_name, p_code, p_reception, p_delivery, v_view, v_stock, v_input, v_qc, v_pack, v_output,
                    t_in, t_out, t_pick, t_pack, t_int, t_store, t_qc);
        RETURN warehouse;
    END
    $$;
GRANT EXECUTE ON FUNCTION stockyard.create_warehouse(text, text, text, text) TO stockyard_app;
-- create_warehouse takes the warehouse id first, so the operation types can point at it.
GRANT USAGE ON SEQUENCE stockyard.stock_warehouses_id_seq TO stockyard_app;
