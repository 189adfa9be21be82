import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// `/v1/quants`, `/v1/inventory-adjustments` and `/v1/moves`: what is where, counting it, and the history.
struct InventoryController {
    let quants: QuantRepository
    let moves: MoveRepository

    /// Exactly one of `inventory_quantity` (the count, as Odoo names it) and `delta`.
    struct AdjustmentRequest: Decodable {
        let productId: Int64
        let locationId: Int64
        let inventoryQuantity: Decimal?
        let delta: Decimal?
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("quants", use: listQuants)
        group.post("inventory-adjustments", use: adjust)
        group.get("moves", use: listMoves)
    }

    func adjust(request: Request, context: AppRequestContext) async throws -> EditedResponse<AdjustmentResult> {
        let principal = try context.require(.stockWrite)
        let input = try await request.decodeJSON(as: AdjustmentRequest.self, context: context)
        let adjustment: InventoryAdjustment
        switch (input.inventoryQuantity, input.delta) {
        case (let counted?, nil):
            try InventoryAdjustment.checkPrecision(counted, field: "inventory_quantity")
            adjustment = .counted(counted)
        case (nil, let delta?):
            try InventoryAdjustment.checkPrecision(delta, field: "delta")
            adjustment = .delta(delta)
        default:
            throw AppError.invalid(field: "inventory_quantity", detail: "give exactly one of 'inventory_quantity' (a count) and 'delta'")
        }
        let result = try await quants.adjust(product: input.productId, location: input.locationId, adjustment: adjustment,
                                             company: principal.companyID, logger: context.logger)
        return EditedResponse(status: result.move == nil ? .ok : .created, response: result)
    }

    func listQuants(request: Request, context: AppRequestContext) async throws -> Page<Quant> {
        let principal = try context.require(.stockRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        let filter = QuantFilter(productId: try query.get("product_id").map { try QueryValue.id($0, field: "product_id") },
                                 childOf: try query.get("child_of").map { try QueryValue.id($0, field: "child_of") })
        return try await quants.list(company: principal.companyID, filter: filter, page: page, logger: context.logger)
    }

    static func moveState(_ text: String) throws(AppError) -> MoveState {
        guard let state = MoveState(rawValue: text) else {
            throw .invalid(field: "state", detail: "'state' must be one of \(MoveState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return state
    }

    func listMoves(request: Request, context: AppRequestContext) async throws -> Page<StockMove> {
        let principal = try context.require(.stockRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        return try await moves.list(company: principal.companyID,
                                    productId: try query.get("product_id").map { try QueryValue.id($0, field: "product_id") },
                                    locationId: try query.get("location_id").map { try QueryValue.id($0, field: "location_id") },
                                    state: try query.get("state").map(Self.moveState), page: page, logger: context.logger)
    }
}
