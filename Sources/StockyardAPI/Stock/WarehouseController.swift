import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// `/v1/warehouses` and `/v1/picking-types` (operation types), with Odoo's field names.
struct WarehouseController {
    let warehouses: WarehouseRepository

    struct CreateRequest: Decodable {
        let name: String
        let code: String
        let receptionSteps: ReceptionSteps?
        let deliverySteps: DeliverySteps?
    }

    struct PickingTypeUpdate: Decodable {
        let changes: PickingTypeChanges

        enum CodingKeys: String, CodingKey { case name, createBackorder, checkoutSync, active }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            var changes = PickingTypeChanges()
            changes.name = try container.decodePatch(String.self, forKey: .name)
            changes.createBackorder = try container.decodePatch(CreateBackorder.self, forKey: .createBackorder)
            changes.checkoutSync = try container.decodePatch(Bool.self, forKey: .checkoutSync)
            changes.active = try container.decodePatch(Bool.self, forKey: .active)
            self.changes = changes
        }
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("warehouses", use: list)
        group.post("warehouses", use: create)
        group.get("warehouses/:id", use: get)
        group.get("picking-types", use: listTypes)
        group.post("picking-types", use: createType)
        group.get("picking-types/:id", use: getType)
        group.patch("picking-types/:id", use: updateType)
    }

    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<Warehouse> {
        let principal = try context.require(.stockWrite)
        let input = try await request.decodeJSON(as: CreateRequest.self, context: context)
        let warehouse = try await warehouses.create(
            name: input.name, code: input.code, reception: input.receptionSteps ?? .oneStep, delivery: input.deliverySteps ?? .shipOnly,
            company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .created, response: warehouse)
    }

    func get(request: Request, context: AppRequestContext) async throws -> Warehouse {
        let principal = try context.require(.stockRead)
        let id = try context.parameters.requireID(resource: "warehouse")
        guard let warehouse = try await warehouses.get(id: id, company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("warehouse")
        }
        return warehouse
    }

    func list(request: Request, context: AppRequestContext) async throws -> Page<Warehouse> {
        let principal = try context.require(.stockRead)
        let page = try PageRequest(limit: request.uri.queryParameters.get("limit"), cursor: request.uri.queryParameters.get("cursor"))
        return try await warehouses.list(company: principal.companyID, page: page, logger: context.logger)
    }

    func listTypes(request: Request, context: AppRequestContext) async throws -> Page<PickingType> {
        let principal = try context.require(.stockRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        let warehouse = try query.get("warehouse_id").map { try QueryValue.id($0, field: "warehouse_id") }
        return try await warehouses.pickingTypes(company: principal.companyID, warehouseId: warehouse, page: page, logger: context.logger)
    }

    func getType(request: Request, context: AppRequestContext) async throws -> PickingType {
        let principal = try context.require(.stockRead)
        let id = try context.parameters.requireID(resource: "picking type")
        guard let type = try await warehouses.pickingType(id: id, company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("picking type")
        }
        return type
    }

    struct PickingTypeCreate: Decodable {
        let name: String
        let code: String
        let sequenceCode: String
        let warehouseId: Int64?
        let defaultLocationSrcId: Int64?
        let defaultLocationDestId: Int64?
        let createBackorder: CreateBackorder?
        let checkoutSync: Bool?
        let sequence: Int?
    }

    func createType(request: Request, context: AppRequestContext) async throws -> EditedResponse<PickingType> {
        let principal = try context.require(.stockWrite)
        let input = try await request.decodeJSON(as: PickingTypeCreate.self, context: context)
        let draft = PickingTypeDraft(
            name: input.name, code: input.code, sequenceCode: input.sequenceCode, warehouseId: input.warehouseId,
            defaultLocationSrcId: input.defaultLocationSrcId, defaultLocationDestId: input.defaultLocationDestId,
            createBackorder: input.createBackorder ?? .ask, checkoutSync: input.checkoutSync ?? false, sequence: input.sequence ?? 10)
        let type = try await warehouses.createPickingType(draft, company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .created, response: type)
    }

    func updateType(request: Request, context: AppRequestContext) async throws -> PickingType {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "picking type")
        let input = try await request.decodeJSON(as: PickingTypeUpdate.self, context: context)
        guard let type = try await warehouses.updatePickingType(id: id, changes: input.changes, company: principal.companyID,
                                                                logger: context.logger) else {
            throw AppError.notFound("picking type")
        }
        return type
    }
}
