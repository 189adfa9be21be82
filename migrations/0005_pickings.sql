-- Warehouse core, part 4: procurement groups, transfers (pickings), and the links moves need to form them
-- and to chain (move_orig_ids ↔ move_dest_ids). See docs/stock-model.md.

CREATE TABLE stockyard.procurement_groups (
    company_id   bigint NOT NULL REFERENCES stockyard.companies (id),
    id           bigint GENERATED ALWAYS AS IDENTITY,
    name         text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    move_type    text NOT NULL DEFAULT 'direct' CHECK (move_type IN ('direct', 'one')),
    create_date  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id)
);
ALTER TABLE stockyard.procurement_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.procurement_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.procurement_groups
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.procurement_groups TO stockyard_app;

CREATE TABLE stockyard.stock_pickings (
    company_id        bigint NOT NULL REFERENCES stockyard.companies (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    name              text NOT NULL,
    picking_type_id   bigint NOT NULL,
    location_id       bigint NOT NULL,
    location_dest_id  bigint NOT NULL,
    origin            text CHECK (origin IS NULL OR length(origin) <= 500),
    partner_ref       text CHECK (partner_ref IS NULL OR length(partner_ref) <= 200),
    group_id          bigint,
    move_type         text NOT NULL DEFAULT 'direct' CHECK (move_type IN ('direct', 'one')),
    scheduled_date    timestamptz NOT NULL DEFAULT now(),
    date_done         timestamptz,
    backorder_id      bigint,
    -- Computed from the moves (Odoo's _compute_state) in the transaction of every operation.
    state             text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'waiting', 'confirmed', 'assigned', 'done', 'cancel')),
    create_date       timestamptz NOT NULL DEFAULT now(),
    write_date        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, name),
    FOREIGN KEY (company_id, picking_type_id) REFERENCES stockyard.stock_picking_types (company_id, id),
    FOREIGN KEY (company_id, location_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, location_dest_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, group_id) REFERENCES stockyard.procurement_groups (company_id, id),
    FOREIGN KEY (company_id, backorder_id) REFERENCES stockyard.stock_pickings (company_id, id)
);
CREATE INDEX stock_pickings_state ON stockyard.stock_pickings (company_id, state, picking_type_id);
CREATE INDEX stock_pickings_group ON stockyard.stock_pickings (company_id, group_id) WHERE group_id IS NOT NULL;
ALTER TABLE stockyard.stock_pickings ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_pickings FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_pickings
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.stock_pickings TO stockyard_app;

ALTER TABLE stockyard.stock_moves
    ADD COLUMN picking_id bigint,
    ADD COLUMN picking_type_id bigint,
    ADD COLUMN group_id bigint,
    ADD FOREIGN KEY (company_id, picking_id) REFERENCES stockyard.stock_pickings (company_id, id),
    ADD FOREIGN KEY (company_id, picking_type_id) REFERENCES stockyard.stock_picking_types (company_id, id),
    ADD FOREIGN KEY (company_id, group_id) REFERENCES stockyard.procurement_groups (company_id, id);
CREATE INDEX stock_moves_picking ON stockyard.stock_moves (company_id, picking_id) WHERE picking_id IS NOT NULL;

ALTER TABLE stockyard.stock_move_lines
    ADD COLUMN picking_id bigint,
    ADD FOREIGN KEY (company_id, picking_id) REFERENCES stockyard.stock_pickings (company_id, id);

-- move_orig_ids ↔ move_dest_ids: a chained move waits for what its origins bring.
CREATE TABLE stockyard.stock_move_move_rel (
    company_id     bigint NOT NULL REFERENCES stockyard.companies (id),
    move_orig_id   bigint NOT NULL,
    move_dest_id   bigint NOT NULL,
    PRIMARY KEY (company_id, move_orig_id, move_dest_id),
    FOREIGN KEY (company_id, move_orig_id) REFERENCES stockyard.stock_moves (company_id, id),
    FOREIGN KEY (company_id, move_dest_id) REFERENCES stockyard.stock_moves (company_id, id),
    CHECK (move_orig_id <> move_dest_id)
);
CREATE INDEX stock_move_move_rel_dest ON stockyard.stock_move_move_rel (company_id, move_dest_id);
ALTER TABLE stockyard.stock_move_move_rel ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_move_move_rel FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_move_move_rel
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, DELETE ON stockyard.stock_move_move_rel TO stockyard_app;
