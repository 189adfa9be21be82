import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Move lines: what each move reserved or did, per source location.
public struct MoveLineRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Lines of the company, ascending id; optionally of one transfer or one move.
    public func list(company: Int64, pickingId: Int64?, moveId: Int64?, page: PageRequest, logger: Logger) async throws -> Page<MoveLine> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.stock_move_lines l
                WHERE l.company_id = \(company) AND l.id > \(page.afterID)
                  AND (\(pickingId)::bigint IS NULL OR l.picking_id = \(pickingId))
                  AND (\(moveId)::bigint IS NULL OR l.move_id = \(moveId))
                ORDER BY l.id LIMIT \(page.limit + 1)
                """, logger: logger).collect()
            return page.page(from: try rows.map(Self.decode), id: \.id)
        }
    }

    /// The columns of a line selected as `l`.
    static let columns = "l.id, l.move_id, l.picking_id, l.product_id, l.location_id, l.location_dest_id, l.quantity, l.state"

    static func decode(_ row: PostgresRow) throws -> MoveLine {
        let (id, move, picking, product, source, destination, quantity, state)
            = try row.decode((Int64, Int64, Int64?, Int64, Int64, Int64, Decimal, String).self)
        return MoveLine(id: id, moveId: move, pickingId: picking, productId: product, locationId: source,
                        locationDestId: destination, quantity: quantity, state: MoveState(rawValue: state) ?? .draft)
    }
}
