import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// The reception route's push rules (`ReceptionRoute`): a move confirmed into a warehouse's Input (two or three
/// steps) or Quality Control (three steps) gets the next move of the route, make-to-order, chained to it and
/// placed in the open transfer of its type, as Odoo 17's `_push_apply` does when a move is confirmed.
extension PickingRepository {
    func applyPushRules(to moves: [Int64], company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        var moves = moves
        var touchedPickings: Set<Int64> = []
        while !moves.isEmpty {
            // The moves that arrive where a push rule starts and are not chained onwards yet, with their warehouse.
            let rows = try await connection.query("""
                SELECT m.id, m.product_id, m.product_uom_qty, m.group_id, m.origin, m.date, w.reception_steps,
                       CASE m.location_dest_id WHEN w.wh_input_stock_loc_id THEN 'input' ELSE 'quality_control' END,
                       w.wh_input_stock_loc_id, w.wh_qc_stock_loc_id, w.lot_stock_id, w.qc_type_id, w.store_type_id
                FROM stockyard.stock_moves m
                JOIN stockyard.stock_warehouses w ON w.company_id = m.company_id
                 AND m.location_dest_id IN (w.wh_input_stock_loc_id, w.wh_qc_stock_loc_id)
                WHERE m.company_id = \(company) AND m.id = ANY(\(moves)) AND m.state NOT IN ('draft', 'cancel', 'done')
                  AND NOT EXISTS (SELECT FROM stockyard.stock_move_move_rel r
                                  WHERE r.company_id = m.company_id AND r.move_orig_id = m.id)
                ORDER BY m.id
                """, logger: logger).collect()
            var pushed: [Int64] = []
            for row in rows {
                let (move, product, quantity, group, origin, date, reception, arrival, input, qualityControl, stock, qcType, storeType)
                    = try row.decode((Int64, Int64, Decimal, Int64?, String?, Date, String, String, Int64, Int64, Int64, Int64, Int64).self)
                guard let push = ReceptionRoute.push(for: reception, arrivingAt: arrival == "input" ? .input : .qualityControl) else { continue }
                func place(_ place: ReceptionRoute.Place) -> Int64 {
                    switch place { case .input: input; case .qualityControl: qualityControl; case .stock: stock }
                }
                let type = push.type == .storage ? storeType : qcType
                let (source, destination) = (place(push.from), place(push.to))
                let picking = try await openPicking(group: group, type: type, source: source, destination: destination, origin: origin,
                                                    company: company, on: connection, logger: logger)
                let next = try await connection.query("""
                    WITH next AS (
                        INSERT INTO stockyard.stock_moves (company_id, reference, origin, product_id, product_uom_qty, location_id,
                                                           location_dest_id, state, procure_method, picking_id, picking_type_id, group_id, date)
                        SELECT \(company), p.name, \(origin), \(product), \(quantity), \(source), \(destination), 'waiting', 'make_to_order',
                               p.id, \(type), \(group), \(date)
                        FROM stockyard.stock_pickings p WHERE p.company_id = \(company) AND p.id = \(picking)
                        RETURNING id
                    ), link AS (
                        INSERT INTO stockyard.stock_move_move_rel (company_id, move_orig_id, move_dest_id)
                        SELECT \(company), \(move), id FROM next
                    )
                    SELECT id FROM next
                    """, logger: logger).collect()[0].decode(Int64.self)
                pushed.append(next)
                touchedPickings.insert(picking)
            }
            moves = pushed   // Quality Control's move pushes on to Stock in the next round
        }
        for picking in touchedPickings.sorted() {
            try await recomputeState(picking, company: company, on: connection, logger: logger)
        }
    }
}
