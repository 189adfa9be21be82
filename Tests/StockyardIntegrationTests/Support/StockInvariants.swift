import Foundation
import StockyardStore
import Testing

/// The stock model's two invariants (docs/stock-model.md), checked from SQL after every scenario:
/// each quant's quantity is what the done move lines brought in minus what they took out, and its reserved
/// quantity is what the open move lines hold from it. Only storable products at internal or transit locations
/// keep quants.
func expectQuantsMatchHistory(company: Int64, environment: TestEnvironment,
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let (quantityMismatches, reservationMismatches) = try await environment.app.withCompany(company, logger: environment.logger) { connection in
        try await connection.rows("""
            WITH flows AS (
                SELECT product_id, location_dest_id AS location_id, quantity, 0 AS reserved
                FROM stockyard.stock_move_lines WHERE state = 'done'
                UNION ALL
                SELECT product_id, location_id, -quantity, 0 FROM stockyard.stock_move_lines WHERE state = 'done'
                UNION ALL
                SELECT product_id, location_id, 0, quantity FROM stockyard.stock_move_lines WHERE state NOT IN ('done', 'cancel')
            ), history AS (
                SELECT product_id, location_id, sum(quantity) AS quantity, sum(reserved) AS reserved FROM flows GROUP BY 1, 2
            ), compared AS (
                SELECT coalesce(q.quantity, 0) <> coalesce(h.quantity, 0) AS quantity_differs,
                       coalesce(q.reserved_quantity, 0) <> coalesce(h.reserved, 0) AS reserved_differs
                FROM stockyard.stock_quants q
                FULL JOIN history h USING (product_id, location_id)
                JOIN stockyard.stock_locations l ON l.id = coalesce(q.location_id, h.location_id)
                JOIN stockyard.products p ON p.id = coalesce(q.product_id, h.product_id)
                WHERE l.usage IN ('internal', 'transit') AND p.type = 'product'
            )
            SELECT count(*) FILTER (WHERE quantity_differs)::int, count(*) FILTER (WHERE reserved_differs)::int FROM compared
            """).collect()[0].decode((Int, Int).self)
    }
    #expect(quantityMismatches == 0, "quants that the done moves do not explain", sourceLocation: sourceLocation)
    #expect(reservationMismatches == 0, "reserved quantities that the open move lines do not explain", sourceLocation: sourceLocation)
}
