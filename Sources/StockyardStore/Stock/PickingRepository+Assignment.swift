import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Placing new moves in transfers, as Odoo's `_assign_picking` does.
extension PickingRepository {
    /// The open transfer of this procurement group (or of no group), operation type, source and destination,
    /// locked, or a new confirmed one named from the type's sequence.
    func openPicking(group: Int64?, type: Int64, source: Int64, destination: Int64, origin: String?, company: Int64,
                     on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let existing = try await connection.query("""
            SELECT id FROM stockyard.stock_pickings
            WHERE company_id = \(company) AND group_id IS NOT DISTINCT FROM \(group) AND picking_type_id = \(type)
              AND location_id = \(source) AND location_dest_id = \(destination) AND state IN ('draft', 'waiting', 'confirmed', 'assigned')
            ORDER BY id LIMIT 1 FOR UPDATE
            """, logger: logger).collect()
        if let row = existing.first { return try row.decode(Int64.self) }
        return try await connection.query("""
            INSERT INTO stockyard.stock_pickings (company_id, name, picking_type_id, location_id, location_dest_id, origin, group_id, state)
            VALUES (\(company), stockyard.next_picking_name(\(type)), \(type), \(source), \(destination), \(origin), \(group), 'confirmed')
            RETURNING id
            """, logger: logger).collect()[0].decode(Int64.self)
    }
}
