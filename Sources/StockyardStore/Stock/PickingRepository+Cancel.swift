import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Cancelling moves and transfers (Odoo's `_action_cancel`), one transaction each.
extension PickingRepository {
    /// Cancels every open move of the transfer. Cancelling a cancelled transfer changes nothing; a done one is
    /// a conflict.
    public func cancel(id: Int64, company: Int64, logger: Logger) async throws -> Picking? {
        try await database.withCompany(company, logger: logger) { connection in
            guard let state = try await lockedState(id, company: company, on: connection, logger: logger) else { return nil }
            guard state != .done else { throw AppError.conflict("transfer \(id) is done and cannot be cancelled") }
            let moves = try await connection.query("""
                SELECT id FROM stockyard.stock_moves
                WHERE company_id = \(company) AND picking_id = \(id) AND state NOT IN ('done', 'cancel')
                ORDER BY id FOR UPDATE
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            try await cancelMoves(moves, company: company, on: connection, logger: logger)
            return try await load(id, company: company, on: connection, logger: logger)
        }
    }

    /// Cancels one move; nil when it does not exist. A done move is a conflict; a cancelled one stays as it is.
    public func cancelMove(id: Int64, company: Int64, logger: Logger) async throws -> StockMove? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT m.state, m.picking_id FROM stockyard.stock_moves m
                WHERE m.company_id = \(company) AND m.id = \(id)
                """, logger: logger).collect()
            guard let row = rows.first else { return nil }
            let (state, picking) = try row.decode((String, Int64?).self)
            if let picking { _ = try await lockedState(picking, company: company, on: connection, logger: logger) }
            guard state != MoveState.done.rawValue else { throw AppError.conflict("move \(id) is done and cannot be cancelled") }
            if state != MoveState.cancel.rawValue {
                try await cancelMoves([id], company: company, on: connection, logger: logger)
            }
            let moves = try await connection.query(
                "SELECT \(unescaped: MoveRepository.columns) FROM stockyard.stock_moves m WHERE m.company_id = \(company) AND m.id = \(id)",
                logger: logger)
            return try await MoveRepository.decode(moves).first
        }
    }

    /// Releases the moves' reservations, cancels them, cancels destination moves that no longer have an origin
    /// that could feed them, and recomputes every touched transfer.
    func cancelMoves(_ moves: [Int64], company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        guard !moves.isEmpty else { return }
        try await releaseReservations(of: moves, company: company, on: connection, logger: logger)
        let pickings = try await connection.query("""
            UPDATE stockyard.stock_moves SET state = 'cancel'
            WHERE company_id = \(company) AND id = ANY(\(moves)) AND state NOT IN ('done', 'cancel')
            RETURNING picking_id
            """, logger: logger).collect().compactMap { try $0.decode(Int64?.self) }
        for picking in Set(pickings) { try await recomputeState(picking, company: company, on: connection, logger: logger) }
        try await cancelStarvedDestinations(of: moves, company: company, on: connection, logger: logger)
    }
}
