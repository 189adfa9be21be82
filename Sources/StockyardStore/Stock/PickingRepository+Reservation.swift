import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Reserving and unreserving a transfer (Odoo's `action_assign` and `do_unreserve`), one transaction each.
extension PickingRepository {
    /// Reserves what is available for the transfer's open moves: FIFO (by `in_date`) from the quants under each
    /// move's source location, one move line per quant taken. A draft transfer is confirmed first. The moves are
    /// locked, then the quants in a stable order, so concurrent reservations serialize without deadlock and can
    /// never reserve more than is on hand.
    public func reserve(id: Int64, company: Int64, logger: Logger) async throws -> Picking? {
        try await database.withCompany(company, logger: logger) { connection in
            guard let state = try await lockedState(id, company: company, on: connection, logger: logger) else { return nil }
            guard state != .done && state != .cancel else {
                throw AppError.conflict("transfer \(id) is \(state.rawValue) and cannot be reserved")
            }
            if state == .draft { try await confirmLocked(id, company: company, on: connection, logger: logger) }
            try await reserveLocked(id, company: company, on: connection, logger: logger)
            return try await load(id, company: company, on: connection, logger: logger)
        }
    }

    /// Reserves one move of a transfer (Odoo's `stock.move._action_assign`), as `reserve` does for all of them;
    /// returns its transfer. Nil when there is no such move.
    public func reserve(move: Int64, company: Int64, logger: Logger) async throws -> Picking? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT picking_id FROM stockyard.stock_moves WHERE company_id = \(company) AND id = \(move)", logger: logger
            ).collect()
            guard let row = rows.first else { return nil }
            guard let picking = try row.decode(Int64?.self) else {
                throw AppError.conflict("move \(move) is not in a transfer and cannot be reserved on its own")
            }
            guard let state = try await lockedState(picking, company: company, on: connection, logger: logger) else { return nil }
            guard state != .done && state != .cancel else {
                throw AppError.conflict("transfer \(picking) is \(state.rawValue) and its moves cannot be reserved")
            }
            if state == .draft { try await confirmLocked(picking, company: company, on: connection, logger: logger) }
            try await reserveLocked(picking, only: [move], company: company, on: connection, logger: logger)
            return try await load(picking, company: company, on: connection, logger: logger)
        }
    }

    /// The reservation itself (of all the transfer's open moves, or `only` these), for a transfer whose row the
    /// caller has locked.
    func reserveLocked(_ id: Int64, only moves: [Int64]? = nil, company: Int64, on connection: PostgresConnection,
                       logger: Logger) async throws {
        let moves = try await connection.query("""
            SELECT m.id, m.product_id, m.location_id, m.product_uom_qty,
                   coalesce((SELECT sum(l.quantity) FROM stockyard.stock_move_lines l
                             WHERE l.company_id = m.company_id AND l.move_id = m.id AND l.state <> 'done'), 0),
                   EXISTS (SELECT FROM stockyard.stock_move_move_rel r WHERE r.company_id = m.company_id AND r.move_dest_id = m.id),
                   coalesce((SELECT sum(o.quantity) FROM stockyard.stock_move_move_rel r
                             JOIN stockyard.stock_moves o ON o.company_id = r.company_id AND o.id = r.move_orig_id
                             WHERE r.company_id = m.company_id AND r.move_dest_id = m.id AND o.state = 'done'), 0),
                   m.procure_method
            FROM stockyard.stock_moves m
            WHERE m.company_id = \(company) AND m.picking_id = \(id)
              AND m.state IN ('confirmed', 'partially_available', 'waiting')
              AND (\(moves)::bigint[] IS NULL OR m.id = ANY(\(moves)))
            ORDER BY m.sequence, m.id
            FOR UPDATE OF m
            """, logger: logger).collect()
        for row in moves {
            let (moveID, product, source, demand, reserved, chained, broughtByOrigins, procureMethod)
                = try row.decode((Int64, Int64, Int64, Decimal, Decimal, Bool, Decimal, String).self)
            // A chained move reserves only what its done origins brought; an MTO move without origins waits.
            var need = demand - reserved
            if chained { need = min(need, max(0, broughtByOrigins - reserved)) }
            if !chained && procureMethod == "make_to_order" { continue }
            if need > 0 {
                try await reserveMove(moveID, product: product, source: source, need: need, picking: id, company: company,
                                      on: connection, logger: logger)
            }
            try await refreshReservationState(move: moveID, chained: chained, company: company, on: connection, logger: logger)
        }
        try await recomputeState(id, company: company, on: connection, logger: logger)
    }

    /// Takes up to `need` from the quants under `source`, oldest first, creating one move line per quant.
    /// What comes from outside the company's stock (a vendor, a customer return, the inventory location) or is not
    /// tracked in quants (a consumable) bypasses reservation, as in Odoo: one line for all of it, no quant touched.
    private func reserveMove(_ moveID: Int64, product: Int64, source: Int64, need: Decimal, picking: Int64, company: Int64,
                             on connection: PostgresConnection, logger: Logger) async throws {
        let bypass = try await connection.query("""
            SELECT l.usage NOT IN ('internal', 'transit') OR p.type <> 'product'
            FROM stockyard.stock_locations l, stockyard.products p
            WHERE l.company_id = \(company) AND l.id = \(source) AND p.company_id = \(company) AND p.id = \(product)
            """, logger: logger).collect().first?.decode(Bool.self) ?? false
        if bypass {
            try await connection.query("""
                INSERT INTO stockyard.stock_move_lines (company_id, move_id, picking_id, product_id, location_id, location_dest_id,
                                                        quantity, state)
                SELECT company_id, id, picking_id, product_id, location_id, location_dest_id, \(need), 'assigned'
                FROM stockyard.stock_moves WHERE company_id = \(company) AND id = \(moveID)
                """, logger: logger)
            return
        }
        let quants = try await connection.query("""
            SELECT q.id, q.location_id, q.quantity - q.reserved_quantity
            FROM stockyard.stock_quants q
            JOIN stockyard.stock_locations l ON l.company_id = q.company_id AND l.id = q.location_id
            WHERE q.company_id = \(company) AND q.product_id = \(product) AND l.usage IN ('internal', 'transit')
              AND l.parent_path LIKE (SELECT parent_path || '%' FROM stockyard.stock_locations
                                      WHERE company_id = \(company) AND id = \(source))
            ORDER BY q.in_date, q.id
            FOR UPDATE OF q
            """, logger: logger).collect()
        var remaining = need
        for quant in quants where remaining > 0 {
            let (quantID, location, available) = try quant.decode((Int64, Int64, Decimal).self)
            let take = min(remaining, available)
            guard take > 0 else { continue }
            try await connection.query("""
                UPDATE stockyard.stock_quants SET reserved_quantity = reserved_quantity + \(take)
                WHERE company_id = \(company) AND id = \(quantID)
                """, logger: logger)
            try await connection.query("""
                INSERT INTO stockyard.stock_move_lines (company_id, move_id, picking_id, product_id, location_id, location_dest_id,
                                                        quantity, state)
                SELECT company_id, id, picking_id, product_id, \(location), location_dest_id, \(take), 'assigned'
                FROM stockyard.stock_moves WHERE company_id = \(company) AND id = \(moveID)
                """, logger: logger)
            remaining -= take
        }
    }

    /// Releases every reservation of the transfer's open moves: their lines go, the quants' reserved quantities
    /// drop by the same amounts, and the moves go back to confirmed (waiting when chained or make-to-order).
    public func unreserve(id: Int64, company: Int64, logger: Logger) async throws -> Picking? {
        try await database.withCompany(company, logger: logger) { connection in
            guard let state = try await lockedState(id, company: company, on: connection, logger: logger) else { return nil }
            guard state != .done && state != .cancel else {
                throw AppError.conflict("transfer \(id) is \(state.rawValue) and has nothing to unreserve")
            }
            let open = try await connection.query("""
                SELECT id FROM stockyard.stock_moves
                WHERE company_id = \(company) AND picking_id = \(id) AND state NOT IN ('done', 'cancel')
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            try await releaseReservations(of: open, company: company, on: connection, logger: logger)
            try await resetToUnreserved(picking: id, from: [.partiallyAvailable, .assigned], company: company, on: connection, logger: logger)
            try await recomputeState(id, company: company, on: connection, logger: logger)
            return try await load(id, company: company, on: connection, logger: logger)
        }
    }
}
