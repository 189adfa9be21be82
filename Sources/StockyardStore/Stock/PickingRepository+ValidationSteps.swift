import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// The writes of a validation, each a few statements inside the caller's transaction.
extension PickingRepository {
    /// A new transfer `backorder_id` = the original: same type, locations, origin and group, the next name.
    func createBackorderPicking(of id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("""
            INSERT INTO stockyard.stock_pickings (company_id, name, picking_type_id, location_id, location_dest_id, origin, partner_ref,
                                                  group_id, move_type, scheduled_date, backorder_id, state)
            SELECT p.company_id, stockyard.next_picking_name(p.picking_type_id), p.picking_type_id, p.location_id, p.location_dest_id,
                   p.origin, p.partner_ref, p.group_id, p.move_type, p.scheduled_date, p.id, 'confirmed'
            FROM stockyard.stock_pickings p
            WHERE p.company_id = \(company) AND p.id = \(id)
            RETURNING id
            """, logger: logger).collect()[0].decode(Int64.self)
    }

    /// One move: the picked part is done (quants moved line by line), the rest goes to the backorder (with its
    /// reservations) or is cancelled (reservations released).
    func apply(_ step: ValidationStep, backorder: Int64?, picking: Int64, company: Int64,
               on connection: PostgresConnection, logger: Logger) async throws {
        let remainder = step.demand - step.picked
        var remainderMove: Int64?
        if remainder > 0 && step.picked > 0 {
            // Split: a new move for the remainder, in the backorder or cancelled here, keeping the move_dest links.
            remainderMove = try await connection.query("""
                WITH copy AS (
                    INSERT INTO stockyard.stock_moves (company_id, reference, origin, product_id, product_uom_qty, location_id,
                        location_dest_id, state, procure_method, sequence, date, picking_id, picking_type_id, group_id)
                    SELECT company_id, reference, origin, product_id, \(remainder), location_id, location_dest_id,
                           CASE WHEN \(backorder)::bigint IS NULL THEN 'cancel' ELSE 'confirmed' END, procure_method, sequence, date,
                           coalesce(\(backorder), picking_id), picking_type_id, group_id
                    FROM stockyard.stock_moves WHERE company_id = \(company) AND id = \(step.move)
                    RETURNING id
                ), links AS (
                    INSERT INTO stockyard.stock_move_move_rel (company_id, move_orig_id, move_dest_id)
                    SELECT \(company), copy.id, r.move_dest_id FROM stockyard.stock_move_move_rel r, copy
                    WHERE r.company_id = \(company) AND r.move_orig_id = \(step.move)
                )
                SELECT id FROM copy
                """, logger: logger).collect()[0].decode(Int64.self)
        }
        let lines = try await connection.query("""
            SELECT l.id, l.location_id, l.location_dest_id, l.quantity, d.usage
            FROM stockyard.stock_move_lines l
            JOIN stockyard.stock_locations d ON d.company_id = l.company_id AND d.id = l.location_dest_id
            WHERE l.company_id = \(company) AND l.move_id = \(step.move) AND l.state <> 'done'
            ORDER BY l.id
            """, logger: logger).collect().map { try $0.decode((Int64, Int64, Int64, Decimal, String).self) }
        var toPick = step.picked
        for (line, source, destination, quantity, destinationUsage) in lines {
            let take = min(quantity, toPick)
            toPick -= take
            if take > 0 {
                try await connection.query("""
                    UPDATE stockyard.stock_quants SET quantity = quantity - \(take), reserved_quantity = greatest(0, reserved_quantity - \(take))
                    WHERE company_id = \(company) AND product_id = (SELECT product_id FROM stockyard.stock_move_lines
                                                                    WHERE company_id = \(company) AND id = \(line))
                      AND location_id = \(source)
                    """, logger: logger)
                // Only the company's own locations keep quants (docs/stock-model.md), and only of storable products.
                if destinationUsage == LocationUsage.internal.rawValue || destinationUsage == LocationUsage.transit.rawValue {
                    try await connection.query("""
                        INSERT INTO stockyard.stock_quants (company_id, product_id, location_id, quantity)
                        SELECT l.company_id, l.product_id, \(destination), \(take) FROM stockyard.stock_move_lines l
                        JOIN stockyard.products p ON p.company_id = l.company_id AND p.id = l.product_id
                        WHERE l.company_id = \(company) AND l.id = \(line) AND p.type = 'product'   -- consumables keep no quants
                        ON CONFLICT (company_id, product_id, location_id)
                        DO UPDATE SET quantity = stockyard.stock_quants.quantity + EXCLUDED.quantity, in_date = now()
                        """, logger: logger)
                }
                try await connection.query("""
                    UPDATE stockyard.stock_move_lines SET quantity = \(take), picked = true, state = 'done', date = now()
                    WHERE company_id = \(company) AND id = \(line)
                    """, logger: logger)
            }
            let left = quantity - take
            guard left > 0 else { continue }
            if let backorder, let target = remainderMove ?? (step.picked == 0 ? step.move : nil) {
                // The unpicked reservation follows the remainder into the backorder.
                if take > 0 {
                    try await connection.query("""
                        INSERT INTO stockyard.stock_move_lines (company_id, move_id, picking_id, product_id, location_id, location_dest_id,
                                                                quantity, state)
                        SELECT company_id, \(target), \(backorder), product_id, location_id, location_dest_id, \(left), 'assigned'
                        FROM stockyard.stock_move_lines WHERE company_id = \(company) AND id = \(line)
                        """, logger: logger)
                } else {
                    try await connection.query("""
                        UPDATE stockyard.stock_move_lines SET move_id = \(target), picking_id = \(backorder)
                        WHERE company_id = \(company) AND id = \(line)
                        """, logger: logger)
                }
            } else {
                try await connection.query("""
                    UPDATE stockyard.stock_quants SET reserved_quantity = greatest(0, reserved_quantity - \(left))
                    WHERE company_id = \(company) AND location_id = \(source)
                      AND product_id = (SELECT product_id FROM stockyard.stock_move_lines WHERE company_id = \(company) AND id = \(line))
                    """, logger: logger)
                if take == 0 {
                    try await connection.query("DELETE FROM stockyard.stock_move_lines WHERE company_id = \(company) AND id = \(line)",
                                               logger: logger)
                }
            }
        }
        if step.picked > 0 {
            try await connection.query("""
                UPDATE stockyard.stock_moves SET product_uom_qty = \(step.picked), quantity = \(step.picked), state = 'done', date = now()
                WHERE company_id = \(company) AND id = \(step.move)
                """, logger: logger)
        } else if let backorder {
            try await connection.query("""
                UPDATE stockyard.stock_moves SET picking_id = \(backorder) WHERE company_id = \(company) AND id = \(step.move)
                """, logger: logger)
        } else {
            try await connection.query(
                "UPDATE stockyard.stock_moves SET state = 'cancel' WHERE company_id = \(company) AND id = \(step.move)", logger: logger)
        }
        for move in [remainderMove, step.picked == 0 ? step.move : nil].compactMap({ $0 }) where backorder != nil {
            try await refreshReservationState(move: move, chained: false, company: company, on: connection, logger: logger)
        }
    }

    /// A destination move of `origins` whose origins are now all cancelled would get nothing: cancel it, and so on
    /// down the chain. Only the destinations of `origins` are looked at, so the cost follows the chain, not the
    /// company's history.
    func cancelStarvedDestinations(of origins: [Int64], company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        var origins = origins
        var pickings: Set<Int64> = []
        while !origins.isEmpty {
            let cancelled = try await connection.query("""
                UPDATE stockyard.stock_moves d SET state = 'cancel'
                WHERE d.company_id = \(company) AND d.state IN ('waiting', 'confirmed')
                  AND d.id IN (SELECT r.move_dest_id FROM stockyard.stock_move_move_rel r
                               WHERE r.company_id = \(company) AND r.move_orig_id = ANY(\(origins)))
                  AND NOT EXISTS (
                      SELECT FROM stockyard.stock_move_move_rel r
                      JOIN stockyard.stock_moves o ON o.company_id = r.company_id AND o.id = r.move_orig_id
                      WHERE r.company_id = d.company_id AND r.move_dest_id = d.id AND o.state <> 'cancel')
                RETURNING d.id, d.picking_id
                """, logger: logger).collect().map { try $0.decode((Int64, Int64?).self) }
            pickings.formUnion(cancelled.compactMap(\.1))
            origins = cancelled.map(\.0)
        }
        for picking in pickings.sorted() { try await recomputeState(picking, company: company, on: connection, logger: logger) }
    }

    /// The destination moves of what was just done can now reserve what arrived: reserve their transfers.
    func reserveDestinations(of moves: [Int64], company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        guard !moves.isEmpty else { return }
        let pickings = try await connection.query("""
            SELECT DISTINCT d.picking_id FROM stockyard.stock_move_move_rel r
            JOIN stockyard.stock_moves d ON d.company_id = r.company_id AND d.id = r.move_dest_id
            WHERE r.company_id = \(company) AND r.move_orig_id = ANY(\(moves)) AND d.picking_id IS NOT NULL
              AND d.state IN ('waiting', 'confirmed', 'partially_available')
            ORDER BY d.picking_id
            """, logger: logger).collect().map { try $0.decode(Int64.self) }
        for picking in pickings {
            _ = try await lockedState(picking, company: company, on: connection, logger: logger)
            try await reserveLocked(picking, company: company, on: connection, logger: logger)
        }
    }
}
