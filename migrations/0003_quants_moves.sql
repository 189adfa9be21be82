-- Warehouse core, part 2: each company's virtual locations, quants, and the moves that explain them.
-- See docs/stock-model.md for the whole model; pickings, picking types and warehouses come in later migrations.

-- Odoo's virtual locations, one set per company: where adjustments, vendors and customers sit in the books.
CREATE TABLE stockyard.stock_company_locations (
    company_id             bigint PRIMARY KEY REFERENCES stockyard.companies (id),
    inventory_location_id  bigint NOT NULL,
    supplier_location_id   bigint NOT NULL,
    customer_location_id   bigint NOT NULL,
    transit_location_id    bigint NOT NULL,
    FOREIGN KEY (company_id, inventory_location_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, supplier_location_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, customer_location_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, transit_location_id) REFERENCES stockyard.stock_locations (company_id, id)
);
ALTER TABLE stockyard.stock_company_locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_company_locations FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_company_locations
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT ON stockyard.stock_company_locations TO stockyard_app;

-- Partners/Vendors, Partners/Customers, Virtual Locations/Inventory adjustment, Virtual Locations/Transit.
-- Runs as the owner (company creation and this migration), which bypasses RLS (docs/decisions.md D1).
CREATE FUNCTION stockyard.create_company_locations(p_company bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
    DECLARE
        partners bigint; virtuals bigint; vendors bigint; customers bigint; inventory bigint; transit bigint;
    BEGIN
        INSERT INTO stockyard.stock_locations (company_id, name, usage) VALUES (p_company, 'Partners', 'view')
            RETURNING id INTO partners;
        INSERT INTO stockyard.stock_locations (company_id, name, usage) VALUES (p_company, 'Virtual Locations', 'view')
            RETURNING id INTO virtuals;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id, usage) VALUES (p_company, 'Vendors', partners, 'supplier')
            RETURNING id INTO vendors;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id, usage) VALUES (p_company, 'Customers', partners, 'customer')
            RETURNING id INTO customers;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id, usage)
            VALUES (p_company, 'Inventory adjustment', virtuals, 'inventory') RETURNING id INTO inventory;
        INSERT INTO stockyard.stock_locations (company_id, name, location_id, usage) VALUES (p_company, 'Transit', virtuals, 'transit')
            RETURNING id INTO transit;
        INSERT INTO stockyard.stock_company_locations
            (company_id, inventory_location_id, supplier_location_id, customer_location_id, transit_location_id)
            VALUES (p_company, inventory, vendors, customers, transit);
    END
    $$;
REVOKE ALL ON FUNCTION stockyard.create_company_locations(bigint) FROM PUBLIC;

CREATE FUNCTION stockyard.company_created() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        PERFORM stockyard.create_company_locations(NEW.id);
        RETURN NULL;
    END
    $$;
CREATE TRIGGER company_created AFTER INSERT ON stockyard.companies
    FOR EACH ROW EXECUTE FUNCTION stockyard.company_created();

SELECT stockyard.create_company_locations(c.id) FROM stockyard.companies c
WHERE NOT EXISTS (SELECT FROM stockyard.stock_company_locations l WHERE l.company_id = c.id);

-- A move of one product between two locations (Odoo's stock.move). Only done moves change quants.
CREATE TABLE stockyard.stock_moves (
    company_id        bigint NOT NULL REFERENCES stockyard.companies (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    reference         text NOT NULL DEFAULT '',
    origin            text,
    product_id        bigint NOT NULL,
    product_uom_qty   numeric(16, 4) NOT NULL CHECK (product_uom_qty >= 0),   -- the demand
    quantity          numeric(16, 4) NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    location_id       bigint NOT NULL,
    location_dest_id  bigint NOT NULL,
    state             text NOT NULL DEFAULT 'draft'
                      CHECK (state IN ('draft', 'waiting', 'confirmed', 'partially_available', 'assigned', 'done', 'cancel')),
    procure_method    text NOT NULL DEFAULT 'make_to_stock' CHECK (procure_method IN ('make_to_stock', 'make_to_order')),
    sequence          integer NOT NULL DEFAULT 10,
    is_inventory      boolean NOT NULL DEFAULT false,
    date              timestamptz NOT NULL DEFAULT now(),
    create_date       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, product_id) REFERENCES stockyard.products (company_id, id),
    FOREIGN KEY (company_id, location_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, location_dest_id) REFERENCES stockyard.stock_locations (company_id, id),
    CHECK (location_id <> location_dest_id)
);
CREATE INDEX stock_moves_product ON stockyard.stock_moves (company_id, product_id, date);
ALTER TABLE stockyard.stock_moves ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_moves FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_moves
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.stock_moves TO stockyard_app;

-- What a move reserved or moved, per exact source and destination (Odoo's stock.move.line).
CREATE TABLE stockyard.stock_move_lines (
    company_id        bigint NOT NULL REFERENCES stockyard.companies (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    move_id           bigint NOT NULL,
    product_id        bigint NOT NULL,
    location_id       bigint NOT NULL,
    location_dest_id  bigint NOT NULL,
    quantity          numeric(16, 4) NOT NULL CHECK (quantity >= 0),
    picked            boolean NOT NULL DEFAULT false,
    state             text NOT NULL DEFAULT 'assigned'
                      CHECK (state IN ('draft', 'waiting', 'confirmed', 'partially_available', 'assigned', 'done', 'cancel')),
    date              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, move_id) REFERENCES stockyard.stock_moves (company_id, id),
    FOREIGN KEY (company_id, product_id) REFERENCES stockyard.products (company_id, id),
    FOREIGN KEY (company_id, location_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, location_dest_id) REFERENCES stockyard.stock_locations (company_id, id)
);
CREATE INDEX stock_move_lines_move ON stockyard.stock_move_lines (company_id, move_id);
-- The quant-vs-history invariant sums done lines per (product, location).
CREATE INDEX stock_move_lines_done_in ON stockyard.stock_move_lines (company_id, product_id, location_dest_id) WHERE state = 'done';
CREATE INDEX stock_move_lines_done_out ON stockyard.stock_move_lines (company_id, product_id, location_id) WHERE state = 'done';
ALTER TABLE stockyard.stock_move_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_move_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_move_lines
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE, DELETE ON stockyard.stock_move_lines TO stockyard_app;

-- On hand and reserved per (product, location): Odoo's stock.quant without lots, packages or owners.
CREATE TABLE stockyard.stock_quants (
    company_id         bigint NOT NULL REFERENCES stockyard.companies (id),
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    product_id         bigint NOT NULL,
    location_id        bigint NOT NULL,
    quantity           numeric(16, 4) NOT NULL DEFAULT 0,
    reserved_quantity  numeric(16, 4) NOT NULL DEFAULT 0 CHECK (reserved_quantity >= 0),
    in_date            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, product_id, location_id),
    FOREIGN KEY (company_id, product_id) REFERENCES stockyard.products (company_id, id),
    FOREIGN KEY (company_id, location_id) REFERENCES stockyard.stock_locations (company_id, id)
);
CREATE INDEX stock_quants_location ON stockyard.stock_quants (company_id, location_id);
ALTER TABLE stockyard.stock_quants ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_quants FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_quants
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.stock_quants TO stockyard_app;

-- Quants live only in locations that can hold stock, for storable products; and a location that holds
-- stock cannot become a view.
CREATE FUNCTION stockyard.stock_quant_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF EXISTS (SELECT FROM stockyard.stock_locations
                   WHERE company_id = NEW.company_id AND id = NEW.location_id AND usage = 'view') THEN
            RAISE EXCEPTION 'location % is a view and cannot hold stock', NEW.location_id USING ERRCODE = 'SY002';
        END IF;
        IF EXISTS (SELECT FROM stockyard.products
                   WHERE company_id = NEW.company_id AND id = NEW.product_id AND type <> 'product') THEN
            RAISE EXCEPTION 'product % is not storable and has no stock', NEW.product_id USING ERRCODE = 'SY003';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER stock_quant_check BEFORE INSERT OR UPDATE OF location_id, product_id ON stockyard.stock_quants
    FOR EACH ROW EXECUTE FUNCTION stockyard.stock_quant_check();

CREATE FUNCTION stockyard.stock_location_view_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF NEW.usage = 'view' AND OLD.usage <> 'view' AND EXISTS (
            SELECT FROM stockyard.stock_quants WHERE company_id = NEW.company_id AND location_id = NEW.id AND quantity <> 0) THEN
            RAISE EXCEPTION 'location % holds stock and cannot become a view', NEW.id USING ERRCODE = 'SY002';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER stock_location_view_check BEFORE UPDATE OF usage ON stockyard.stock_locations
    FOR EACH ROW EXECUTE FUNCTION stockyard.stock_location_view_check();
