-- Checkout sync (issue 5, OCA stock_checkout_sync): one packing location for every move that reaches the same
-- packing transfer. The moves, lines and destination moves it changes are ordinary columns; this adds the
-- record of each sync (who, when, which group, which location, what changed), read at
-- GET /v1/pickings/{id}/checkout-sync/history.

CREATE TABLE stockyard.checkout_sync_events (
    company_id        bigint NOT NULL REFERENCES stockyard.companies (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    -- The transfer the sync was asked from (the assistant's source transfer, or the scanned line's transfer).
    picking_id        bigint NOT NULL,
    -- The group: the flagged destination transfer every synced move feeds.
    dest_picking_id   bigint NOT NULL,
    location_id       bigint NOT NULL,
    via               text NOT NULL CHECK (via IN ('assistant', 'scanner')),
    token_id          bigint,
    move_ids          bigint[] NOT NULL,
    dest_move_ids     bigint[] NOT NULL,
    move_line_ids     bigint[] NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, picking_id) REFERENCES stockyard.stock_pickings (company_id, id),
    FOREIGN KEY (company_id, dest_picking_id) REFERENCES stockyard.stock_pickings (company_id, id),
    FOREIGN KEY (company_id, location_id) REFERENCES stockyard.stock_locations (company_id, id),
    FOREIGN KEY (company_id, token_id) REFERENCES stockyard.api_tokens (company_id, id)
);
CREATE INDEX checkout_sync_events_picking ON stockyard.checkout_sync_events (company_id, picking_id, id);
CREATE INDEX checkout_sync_events_dest_picking ON stockyard.checkout_sync_events (company_id, dest_picking_id, id);
SELECT stockyard.isolate_by_company('stockyard.checkout_sync_events');
GRANT SELECT, INSERT ON stockyard.checkout_sync_events TO stockyard_app;

-- The plan follows move_dest links from a transfer's moves, then back from the destination transfer's moves:
-- both directions of stock_move_move_rel are indexed (the primary key leads with move_orig_id).
-- Moves of a transfer: stock_moves_picking. Lines of a move: stock_move_lines_move.

