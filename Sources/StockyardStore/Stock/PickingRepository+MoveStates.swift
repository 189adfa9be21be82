import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// The move-state rules and the reservation release that several operations share, in one place.
extension PickingRepository {
    /// An open move with nothing reserved: waiting when make-to-order or chained to origins, else confirmed.
    static let unreservedStateSQL = """
        CASE WHEN m.procure_method = 'make_to_order'
               OR EXISTS (SELECT FROM stockyard.stock_move_move_rel r WHERE r.company_id = m.company_id AND r.move_dest_id = m.id)
             THEN 'waiting' ELSE 'confirmed' END
        """

    /// Sets the moves of transfer `picking` that are in one of `states` to their unreserved state.
    func resetToUnreserved(picking: Int64, from states: [MoveState], company: Int64, on connection: PostgresConnection,
                           logger: Logger) async throws {
        try await connection.query("""
            UPDATE stockyard.stock_moves m SET state = \(unescaped: Self.unreservedStateSQL)
            WHERE m.company_id = \(company) AND m.picking_id = \(picking) AND m.state = ANY(\(states.map(\.rawValue)))
            """, logger: logger)
    }

    /// A move's state from what its open lines reserve: assigned, partially available, or (nothing) confirmed or
    /// waiting as `chained` says.
    func refreshReservationState(move: Int64, chained: Bool, company: Int64, on connection: PostgresConnection,
                                 logger: Logger) async throws {
        try await connection.query("""
            UPDATE stockyard.stock_moves m SET state = CASE
                WHEN r.reserved >= m.product_uom_qty THEN 'assigned'
                WHEN r.reserved > 0 THEN 'partially_available'
                WHEN \(chained) THEN 'waiting' ELSE 'confirmed' END
            FROM (SELECT coalesce(sum(quantity), 0) AS reserved FROM stockyard.stock_move_lines
                  WHERE company_id = \(company) AND move_id = \(move) AND state <> 'done') r
            WHERE m.company_id = \(company) AND m.id = \(move)
            """, logger: logger)
    }

    /// Deletes the moves' open lines and lowers the quants' reserved quantities by as much, in one statement.
    func releaseReservations(of moves: [Int64], company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        guard !moves.isEmpty else { return }
        try await connection.query("""
            WITH released AS (
                DELETE FROM stockyard.stock_move_lines
                WHERE company_id = \(company) AND move_id = ANY(\(moves)) AND state <> 'done'
                RETURNING product_id, location_id, quantity
            ), totals AS (
                SELECT product_id, location_id, sum(quantity) AS quantity FROM released GROUP BY 1, 2
            )
            UPDATE stockyard.stock_quants q SET reserved_quantity = greatest(0, q.reserved_quantity - t.quantity)
            FROM totals t
            WHERE q.company_id = \(company) AND q.product_id = t.product_id AND q.location_id = t.location_id
            """, logger: logger)
    }
}
