import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Warehouses and operation types. Creating a warehouse is `stockyard.create_warehouse`, one transaction.
public struct WarehouseRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func create(name: String, code: String, reception: ReceptionSteps, delivery: DeliverySteps, company: Int64,
                       logger: Logger) async throws -> Warehouse {
        let name = try TextInput.validate(name, field: "name", maxLength: 200)
        guard code.range(of: #"^[A-Za-z0-9_-]{1,5}$"#, options: .regularExpression) != nil else {
            throw AppError.invalid(field: "code", detail: "'code' must be 1 to 5 letters, digits, '-' or '_' (it names the warehouse's view location)")
        }
        do {
            return try await database.withCompany(company, logger: logger) { connection in
                let id = try await connection.query(
                    "SELECT stockyard.create_warehouse(\(name), \(code), \(reception.rawValue), \(delivery.rawValue))", logger: logger
                ).collect()[0].decode(Int64.self)
                let rows = try await connection.query(
                    "SELECT \(unescaped: Self.columns) FROM stockyard.stock_warehouses WHERE company_id = \(company) AND id = \(id)",
                    logger: logger)
                return try await Self.decode(rows)[0]
            }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw AppError.conflict("a warehouse with this name or code already exists")
        }
    }

    public func get(id: Int64, company: Int64, logger: Logger) async throws -> Warehouse? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM stockyard.stock_warehouses WHERE company_id = \(company) AND id = \(id)",
                logger: logger)
            return try await Self.decode(rows).first
        }
    }

    public func list(company: Int64, page: PageRequest, logger: Logger) async throws -> Page<Warehouse> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.stock_warehouses
                WHERE company_id = \(company) AND id > \(page.afterID) ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decode(rows), id: \.id)
        }
    }

    public func pickingTypes(company: Int64, warehouseId: Int64?, page: PageRequest, logger: Logger) async throws -> Page<PickingType> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.typeColumns) FROM stockyard.stock_picking_types
                WHERE company_id = \(company) AND id > \(page.afterID)
                  AND (\(warehouseId)::bigint IS NULL OR warehouse_id = \(warehouseId))
                ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decodeTypes(rows), id: \.id)
        }
    }

    public func pickingType(id: Int64, company: Int64, logger: Logger) async throws -> PickingType? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.typeColumns) FROM stockyard.stock_picking_types WHERE company_id = \(company) AND id = \(id)",
                logger: logger)
            return try await Self.decodeTypes(rows).first
        }
    }

    /// Creates an operation type; its transfers are named "<warehouse code>/<sequence code>/00001" (without a
    /// warehouse: "<sequence code>/00001"), from a sequence of its own.
    public func createPickingType(_ draft: PickingTypeDraft, company: Int64, logger: Logger) async throws -> PickingType {
        let name = try TextInput.validate(draft.name, field: "name", maxLength: 200)
        guard ["incoming", "outgoing", "internal"].contains(draft.code) else {
            throw AppError.invalid(field: "code", detail: "'code' must be incoming, outgoing or internal")
        }
        guard draft.sequenceCode.wholeMatch(of: /[A-Za-z0-9_-]{1,20}/) != nil else {
            throw AppError.invalid(field: "sequence_code", detail: "'sequence_code' must be 1 to 20 letters, digits, '_' or '-'")
        }
        return try await database.withCompany(company, logger: logger) { connection in
            var prefix = draft.sequenceCode + "/"
            if let warehouse = draft.warehouseId {
                let codes = try await connection.query(
                    "SELECT code FROM stockyard.stock_warehouses WHERE company_id = \(company) AND id = \(warehouse)", logger: logger
                ).collect()
                guard let code = try codes.first?.decode(String.self) else {
                    throw AppError.invalid(field: "warehouse_id", detail: "warehouse \(warehouse) does not exist")
                }
                prefix = code + "/" + prefix
            }
            for (location, field) in [(draft.defaultLocationSrcId, "default_location_src_id"),
                                      (draft.defaultLocationDestId, "default_location_dest_id")] {
                guard let location else { continue }
                let found = try await connection.query(
                    "SELECT 1 FROM stockyard.stock_locations WHERE company_id = \(company) AND id = \(location)", logger: logger
                ).collect()
                guard !found.isEmpty else { throw AppError.invalid(field: field, detail: "location \(location) does not exist") }
            }
            // Two types with one prefix would hand out the same transfer names.
            let taken = try await connection.query(
                "SELECT 1 FROM stockyard.stock_picking_types WHERE company_id = \(company) AND sequence_prefix = \(prefix)", logger: logger
            ).collect()
            guard taken.isEmpty else {
                throw AppError.invalid(field: "sequence_code", detail: "another operation type already names its transfers \(prefix)…")
            }
            let rows = try await connection.query("""
                INSERT INTO stockyard.stock_picking_types (company_id, name, code, sequence_code, sequence_prefix, default_location_src_id,
                                                          default_location_dest_id, warehouse_id, create_backorder, checkout_sync, sequence)
                VALUES (\(company), \(name), \(draft.code), \(draft.sequenceCode), \(prefix), \(draft.defaultLocationSrcId),
                        \(draft.defaultLocationDestId), \(draft.warehouseId), \(draft.createBackorder.rawValue), \(draft.checkoutSync),
                        \(draft.sequence))
                RETURNING \(unescaped: Self.typeColumns)
                """, logger: logger)
            return try await Self.decodeTypes(rows).first!
        }
    }

    public func updatePickingType(id: Int64, changes: PickingTypeChanges, company: Int64, logger: Logger) async throws -> PickingType? {
        for (isNull, field) in [(changes.name == .null, "name"), (changes.createBackorder == .null, "create_backorder"),
                                (changes.checkoutSync == .null, "checkout_sync"), (changes.active == .null, "active")] where isNull {
            throw AppError.invalid(field: field, detail: "'\(field)' must not be null")
        }
        let name: String? = if case .value(let name) = changes.name { try TextInput.validate(name, field: "name", maxLength: 200) } else { nil }
        return try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                UPDATE stockyard.stock_picking_types SET
                    name = CASE WHEN \(!changes.name.isAbsent) THEN \(name) ELSE name END,
                    create_backorder = CASE WHEN \(!changes.createBackorder.isAbsent)
                                            THEN \(changes.createBackorder.applied(to: nil)?.rawValue) ELSE create_backorder END,
                    checkout_sync = CASE WHEN \(!changes.checkoutSync.isAbsent)
                                         THEN \(changes.checkoutSync.applied(to: nil))::boolean ELSE checkout_sync END,
                    active = CASE WHEN \(!changes.active.isAbsent) THEN \(changes.active.applied(to: nil))::boolean ELSE active END
                WHERE company_id = \(company) AND id = \(id)
                RETURNING \(unescaped: Self.typeColumns)
                """, logger: logger)
            return try await Self.decodeTypes(rows).first
        }
    }

    static let columns = """
        id, name, code, reception_steps, delivery_steps, view_location_id, lot_stock_id, wh_input_stock_loc_id, wh_qc_stock_loc_id,
        wh_pack_stock_loc_id, wh_output_stock_loc_id, in_type_id, out_type_id, pick_type_id, pack_type_id, int_type_id,
        store_type_id, qc_type_id, create_date
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [Warehouse] {
        var warehouses: [Warehouse] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            func id(_ index: Int) throws -> Int64 { try c[index].decode(Int64.self) }
            warehouses.append(Warehouse(
                id: try id(0), name: try c[1].decode(String.self), code: try c[2].decode(String.self),
                receptionSteps: ReceptionSteps(rawValue: try c[3].decode(String.self)) ?? .oneStep,
                deliverySteps: DeliverySteps(rawValue: try c[4].decode(String.self)) ?? .shipOnly,
                viewLocationId: try id(5), lotStockId: try id(6), whInputStockLocId: try id(7), whQcStockLocId: try id(8),
                whPackStockLocId: try id(9), whOutputStockLocId: try id(10), inTypeId: try id(11), outTypeId: try id(12),
                pickTypeId: try id(13), packTypeId: try id(14), intTypeId: try id(15), storeTypeId: try id(16), qcTypeId: try id(17),
                createDate: try c[18].decode(Date.self)))
        }
        return warehouses
    }

    static let typeColumns = """
        id, name, code, sequence_code, default_location_src_id, default_location_dest_id, warehouse_id, create_backorder,
        checkout_sync, sequence, active
        """

    static func decodeTypes(_ rows: PostgresRowSequence) async throws -> [PickingType] {
        var types: [PickingType] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            types.append(PickingType(
                id: try c[0].decode(Int64.self), name: try c[1].decode(String.self), code: try c[2].decode(String.self),
                sequenceCode: try c[3].decode(String.self), defaultLocationSrcId: try c[4].decode(Int64?.self),
                defaultLocationDestId: try c[5].decode(Int64?.self), warehouseId: try c[6].decode(Int64?.self),
                createBackorder: CreateBackorder(rawValue: try c[7].decode(String.self)) ?? .ask,
                checkoutSync: try c[8].decode(Bool.self), sequence: try c[9].decode(Int.self), active: try c[10].decode(Bool.self)))
        }
        return types
    }
}
