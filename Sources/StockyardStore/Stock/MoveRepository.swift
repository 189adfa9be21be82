import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Stock moves: the history that explains every quantity.
public struct MoveRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Moves of the company, newest id last; optionally of one product, touching one location, or in one state.
    public func list(company: Int64, productId: Int64?, locationId: Int64?, state: MoveState?, page: PageRequest,
                     logger: Logger) async throws -> Page<StockMove> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.stock_moves m
                WHERE m.company_id = \(company) AND m.id > \(page.afterID)
                  AND (\(productId)::bigint IS NULL OR m.product_id = \(productId))
                  AND (\(locationId)::bigint IS NULL OR m.location_id = \(locationId) OR m.location_dest_id = \(locationId))
                  AND (\(state?.rawValue)::text IS NULL OR m.state = \(state?.rawValue))
                ORDER BY m.id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decode(rows), id: \.id)
        }
    }

    /// The columns of a move selected as `m`, with its chain links (Odoo's `move_orig_ids` and `move_dest_ids`).
    static let columns = """
        m.id, m.reference, m.origin, m.product_id, m.product_uom_qty, m.quantity, m.location_id, m.location_dest_id, m.state,
        m.procure_method, m.is_inventory, m.date, m.picking_id, m.picking_type_id, m.group_id,
        ARRAY(SELECT r.move_orig_id FROM stockyard.stock_move_move_rel r
              WHERE r.company_id = m.company_id AND r.move_dest_id = m.id ORDER BY 1),
        ARRAY(SELECT r.move_dest_id FROM stockyard.stock_move_move_rel r
              WHERE r.company_id = m.company_id AND r.move_orig_id = m.id ORDER BY 1)
        """

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [StockMove] {
        var moves: [StockMove] = []
        for try await row in rows { moves.append(try move(from: row.makeRandomAccess())) }
        return moves
    }

    /// The move in `columns`, starting at cell `first` of a row.
    static func move(from cells: PostgresRandomAccessRow, at first: Int = 0) throws -> StockMove {
        StockMove(
            id: try cells[first].decode(Int64.self), reference: try cells[first + 1].decode(String.self),
            origin: try cells[first + 2].decode(String?.self), productId: try cells[first + 3].decode(Int64.self),
            productUomQty: try cells[first + 4].decode(Decimal.self), quantity: try cells[first + 5].decode(Decimal.self),
            locationId: try cells[first + 6].decode(Int64.self), locationDestId: try cells[first + 7].decode(Int64.self),
            state: MoveState(rawValue: try cells[first + 8].decode(String.self)) ?? .draft,
            procureMethod: try cells[first + 9].decode(String.self),
            isInventory: try cells[first + 10].decode(Bool.self), date: try cells[first + 11].decode(Date.self),
            pickingId: try cells[first + 12].decode(Int64?.self), pickingTypeId: try cells[first + 13].decode(Int64?.self),
            groupId: try cells[first + 14].decode(Int64?.self), moveOrigIds: try cells[first + 15].decode([Int64].self),
            moveDestIds: try cells[first + 16].decode([Int64].self))
    }
}
