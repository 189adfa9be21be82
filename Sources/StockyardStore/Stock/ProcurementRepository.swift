import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// A procurement: what releasing an order creates. It runs the warehouse's delivery route into a chain of
/// confirmed moves (make-to-order after the first step, linked origin → destination), each placed in the open
/// transfer of its (group, operation type, source, destination), or a new one.
public struct ProcurementRepository: Sendable {
    let database: Database
    let pickings: PickingRepository

    public init(database: Database) {
        self.database = database
        self.pickings = PickingRepository(database: database)
    }

    public struct Request: Sendable {
        public var productId: Int64
        public var quantity: Decimal
        public var warehouseId: Int64
        public var locationDestId: Int64?
        public var groupId: Int64?
        public var groupName: String?
        public var origin: String?

        public init(productId: Int64, quantity: Decimal, warehouseId: Int64, locationDestId: Int64?, groupId: Int64?,
                    groupName: String?, origin: String?) {
            self.productId = productId
            self.quantity = quantity
            self.warehouseId = warehouseId
            self.locationDestId = locationDestId
            self.groupId = groupId
            self.groupName = groupName
            self.origin = origin
        }
    }

    /// The result: the procurement group and the transfers its moves landed in, first step first.
    public struct Result: Sendable, Codable, Equatable {
        public let groupId: Int64
        public let pickings: [Picking]
    }

    public func run(_ request: Request, company: Int64, logger: Logger) async throws -> Result {
        guard request.quantity > 0 else { throw AppError.invalid(field: "quantity", detail: "'quantity' must be positive") }
        try InventoryAdjustment.checkPrecision(request.quantity, field: "quantity")
        let origin = try request.origin.map { try TextInput.validate($0, field: "origin", maxLength: 500) }
        let groupName = try (request.groupName ?? origin).map { try TextInput.validate($0, field: "group_name", maxLength: 200) }
        return try await database.withCompany(company, logger: logger) { connection in
            let warehouseRows = try await connection.query("""
                SELECT w.delivery_steps, w.lot_stock_id, w.wh_pack_stock_loc_id, w.wh_output_stock_loc_id,
                       w.pick_type_id, w.pack_type_id, w.out_type_id, c.customer_location_id
                FROM stockyard.stock_warehouses w
                JOIN stockyard.stock_company_locations c ON c.company_id = w.company_id
                WHERE w.company_id = \(company) AND w.id = \(request.warehouseId)
                """, logger: logger).collect()
            guard let warehouse = warehouseRows.first else {
                throw AppError.invalid(field: "warehouse_id", detail: "warehouse \(request.warehouseId) does not exist")
            }
            let (delivery, stock, packing, output, pickType, packType, outType, customers)
                = try warehouse.decode((String, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
            let destination = request.locationDestId ?? customers
            let products = try await connection.query(
                "SELECT type FROM stockyard.products WHERE company_id = \(company) AND id = \(request.productId)", logger: logger).collect()
            guard let productType = try products.first?.decode(String.self) else {
                throw AppError.invalid(field: "product_id", detail: "product \(request.productId) does not exist")
            }
            guard productType != ProductType.service.rawValue else {
                throw AppError.invalid(field: "product_id", detail: "product \(request.productId) is a service and is not moved")
            }
            let group = try await groupID(request.groupId, name: groupName ?? "Procurement", company: company, on: connection, logger: logger)

            var previousMove: Int64?
            var pickingIDs: [Int64] = []
            for step in DeliveryRoute.steps(for: delivery) {
                func place(_ place: DeliveryRoute.Step.Place) -> Int64 {
                    switch place {
                    case .stock: stock
                    case .packingZone: packing
                    case .output: output
                    case .destination: destination
                    }
                }
                let type = switch step.type { case .pick: pickType; case .pack: packType; case .delivery: outType }
                let (source, target) = (place(step.from), place(step.to))
                let picking = try await pickings.openPicking(group: group, type: type, source: source, destination: target, origin: origin,
                                                    company: company, on: connection, logger: logger)
                let move = try await connection.query("""
                    INSERT INTO stockyard.stock_moves (company_id, reference, origin, product_id, product_uom_qty, location_id, location_dest_id,
                                                       state, procure_method, picking_id, picking_type_id, group_id)
                    SELECT \(company), p.name, \(origin), \(request.productId), \(request.quantity), \(source), \(target),
                           \(previousMove == nil ? "confirmed" : "waiting"), \(step.makeToOrder ? "make_to_order" : "make_to_stock"),
                           p.id, \(type), \(group)
                    FROM stockyard.stock_pickings p WHERE p.company_id = \(company) AND p.id = \(picking)
                    RETURNING id
                    """, logger: logger).collect()[0].decode(Int64.self)
                if let previousMove {
                    try await connection.query("""
                        INSERT INTO stockyard.stock_move_move_rel (company_id, move_orig_id, move_dest_id)
                        VALUES (\(company), \(previousMove), \(move))
                        """, logger: logger)
                }
                try await pickings.recomputeState(picking, company: company, on: connection, logger: logger)
                previousMove = move
                if !pickingIDs.contains(picking) { pickingIDs.append(picking) }
            }
            let loaded = try await pickings.load(pickingIDs, company: company, on: connection, logger: logger)
            return Result(groupId: group, pickings: pickingIDs.compactMap { id in loaded.first { $0.id == id } })
        }
    }

    /// The given group (which must exist), or a new one with `name`.
    private func groupID(_ id: Int64?, name: String, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        if let id {
            let rows = try await connection.query(
                "SELECT id FROM stockyard.procurement_groups WHERE company_id = \(company) AND id = \(id) FOR SHARE", logger: logger).collect()
            guard !rows.isEmpty else { throw AppError.invalid(field: "group_id", detail: "procurement group \(id) does not exist") }
            return id
        }
        return try await connection.query(
            "INSERT INTO stockyard.procurement_groups (company_id, name) VALUES (\(company), \(name)) RETURNING id", logger: logger
        ).collect()[0].decode(Int64.self)
    }
}
