import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// `/v1/pickings`: transfers with their moves, and their actions (confirm, reserve, unreserve, validate, cancel; see docs/stock-model.md).
struct PickingController {
    let pickings: PickingRepository

    struct CreateRequest: Decodable {
        struct Move: Decodable {
            let productId: Int64
            let productUomQty: Decimal
            let procureMethod: String?
            let moveOrigIds: [Int64]?
        }
        let pickingTypeId: Int64
        let locationId: Int64?
        let locationDestId: Int64?
        let origin: String?
        let partnerRef: String?
        let scheduledDate: Date?
        let moveType: PickingState.MoveType?
        let moveIds: [Move]
    }

    /// Validation input, all optional: picked quantities per move (default: what each reserved) and, for an
    /// operation type that asks, whether a short pick makes a backorder.
    struct ValidateRequest: Decodable {
        struct Picked: Decodable {
            let moveId: Int64
            let quantity: Decimal
        }
        let quantities: [Picked]?
        let createBackorder: Bool?
    }

    /// PATCH body: a field left out stays; `null` clears origin or partner_ref.
    struct UpdateRequest: Decodable {
        let changes: PickingRepository.Changes

        enum CodingKeys: String, CodingKey { case scheduledDate, origin, partnerRef }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            var changes = PickingRepository.Changes()
            changes.scheduledDate = try container.decodePatch(Date.self, forKey: .scheduledDate)
            changes.origin = try container.decodePatch(String.self, forKey: .origin)
            changes.partnerRef = try container.decodePatch(String.self, forKey: .partnerRef)
            self.changes = changes
        }
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("pickings", use: list)
        group.post("pickings", use: create)
        group.get("pickings/:id", use: get)
        group.patch("pickings/:id", use: update)
        group.post("pickings/:id/confirm", use: confirm)
        group.post("pickings/:id/reserve", use: reserve)
        group.post("pickings/:id/unreserve", use: unreserve)
        group.post("pickings/:id/validate", use: validate)
        group.post("pickings/:id/cancel", use: cancel)
        group.post("moves/:id/cancel", use: cancelMove)
        group.post("moves/:id/reserve", use: reserveMove)
    }

    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<Picking> {
        let principal = try context.require(.stockWrite)
        let input = try await request.decodeJSON(as: CreateRequest.self, context: context)
        let draft = PickingDraft(
            pickingTypeId: input.pickingTypeId, locationId: input.locationId, locationDestId: input.locationDestId,
            origin: input.origin, partnerRef: input.partnerRef, scheduledDate: input.scheduledDate, moveType: input.moveType ?? .direct,
            moves: input.moveIds.map { MoveDraft(productId: $0.productId, productUomQty: $0.productUomQty,
                                                 procureMethod: $0.procureMethod ?? "make_to_stock", moveOrigIds: $0.moveOrigIds ?? []) })
        let picking = try await pickings.create(draft, company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .created, response: picking)
    }

    func get(request: Request, context: AppRequestContext) async throws -> Picking {
        let principal = try context.require(.stockRead)
        let id = try context.parameters.requireID(resource: "transfer")
        guard let picking = try await pickings.get(id: id, company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("transfer")
        }
        return picking
    }

    func list(request: Request, context: AppRequestContext) async throws -> Page<Picking> {
        let principal = try context.require(.stockRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        var filter = PickingFilter(origin: query.get("origin"))
        if let state = query.get("state") {
            guard let parsed = PickingState(rawValue: state) else {
                throw AppError.invalid(field: "state", detail: "'state' must be one of \(PickingState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.state = parsed
        }
        filter.pickingTypeId = try query.get("picking_type_id").map { try QueryValue.id($0, field: "picking_type_id") }
        filter.canSyncToCheckout = try query.get("can_sync_to_checkout").map { try QueryValue.bool($0, field: "can_sync_to_checkout") }
        return try await pickings.list(company: principal.companyID, filter: filter, page: page, logger: context.logger)
    }

    func confirm(request: Request, context: AppRequestContext) async throws -> Picking {
        try await act(context) { try await pickings.confirm(id: $0, company: $1, logger: context.logger) }
    }

    func reserve(request: Request, context: AppRequestContext) async throws -> Picking {
        try await act(context) { try await pickings.reserve(id: $0, company: $1, logger: context.logger) }
    }

    func unreserve(request: Request, context: AppRequestContext) async throws -> Picking {
        try await act(context) { try await pickings.unreserve(id: $0, company: $1, logger: context.logger) }
    }

    func update(request: Request, context: AppRequestContext) async throws -> Picking {
        _ = try context.require(.stockWrite)   // before reading the body: a read-only token learns nothing from it
        let input = try await request.decodeJSON(as: UpdateRequest.self, context: context)
        return try await act(context) { try await pickings.update(id: $0, changes: input.changes, company: $1, logger: context.logger) }
    }

    func cancel(request: Request, context: AppRequestContext) async throws -> Picking {
        try await act(context) { try await pickings.cancel(id: $0, company: $1, logger: context.logger) }
    }

    func cancelMove(request: Request, context: AppRequestContext) async throws -> StockMove {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "move")
        guard let move = try await pickings.cancelMove(id: id, company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("move")
        }
        return move
    }

    /// Reserves one move; answers with its transfer.
    func reserveMove(request: Request, context: AppRequestContext) async throws -> Picking {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "move")
        guard let picking = try await pickings.reserve(move: id, company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("move")
        }
        return picking
    }

    func validate(request: Request, context: AppRequestContext) async throws -> PickingRepository.ValidationResult {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "transfer")
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let input = body.readableBytes == 0 ? nil : try await request.decodeJSON(as: ValidateRequest.self, context: context)
        var picked: [Int64: Decimal]?
        if let quantities = input?.quantities {
            picked = [:]
            for (index, entry) in quantities.enumerated() {
                try InventoryAdjustment.checkPrecision(entry.quantity, field: "quantities[\(index)].quantity")
                guard picked?.updateValue(entry.quantity, forKey: entry.moveId) == nil else {
                    throw AppError.invalid(field: "quantities[\(index)].move_id", detail: "move \(entry.moveId) is listed twice")
                }
            }
        }
        guard let result = try await pickings.validate(id: id, picked: picked, createBackorder: input?.createBackorder,
                                                       company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("transfer")
        }
        return result
    }

    /// An action on one transfer: `stock:write`, the id from the path, 404 when it is not the company's.
    private func act(_ context: AppRequestContext, _ action: (Int64, Int64) async throws -> Picking?) async throws -> Picking {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "transfer")
        guard let picking = try await action(id, principal.companyID) else { throw AppError.notFound("transfer") }
        return picking
    }
}
