import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// Checkout sync (docs/stock-model.md): the assistant's plan and sync on a transfer, its history, and the
/// scanner's flow on move lines.
struct CheckoutSyncController {
    let checkoutSync: CheckoutSyncRepository
    let lines: MoveLineRepository

    struct SyncRequest: Decodable {
        let destPickingId: Int64?
        let locationId: Int64?
        let done: [Int64]?
    }

    struct DestinationRequest: Decodable {
        let locationId: Int64?
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("pickings/:id/checkout-sync", use: plan)
        group.post("pickings/:id/checkout-sync", use: sync)
        group.get("pickings/:id/checkout-sync/history", use: history)
        group.get("move-lines", use: listLines)
        group.post("move-lines/:id/destination", use: setDestination)
    }

    /// `?done=1,2`: the destination transfers already synced or skipped (a skip is asking again with one more).
    func plan(request: Request, context: AppRequestContext) async throws -> CheckoutSyncView {
        let principal = try context.require(.stockRead)
        let id = try context.parameters.requireID(resource: "transfer")
        let done = try request.uri.queryParameters.getAll("done").flatMap { $0.split(separator: ",") }
            .map { try QueryValue.id(String($0), field: "done") }
        guard let view = try await checkoutSync.plan(picking: id, handled: Set(done), company: principal.companyID,
                                                     logger: context.logger) else {
            throw AppError.notFound("transfer")
        }
        return view
    }

    func sync(request: Request, context: AppRequestContext) async throws -> CheckoutSyncView {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "transfer")
        let input = try await request.decodeJSON(as: SyncRequest.self, context: context)
        guard let destination = input.destPickingId else {
            throw AppError.invalid(field: "dest_picking_id", detail: "'dest_picking_id' is required: the group to sync")
        }
        guard let location = input.locationId else {
            throw AppError.invalid(field: "location_id", detail: "'location_id' is required: where the group's moves go")
        }
        guard let view = try await checkoutSync.sync(picking: id, destPicking: destination, location: location,
                                                     handled: Set(input.done ?? []), tokenID: principal.tokenID,
                                                     company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("transfer")
        }
        return view
    }

    func history(request: Request, context: AppRequestContext) async throws -> Page<CheckoutSyncEvent> {
        let principal = try context.require(.stockRead)
        let id = try context.parameters.requireID(resource: "transfer")
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        guard let events = try await checkoutSync.history(picking: id, company: principal.companyID, page: page,
                                                          logger: context.logger) else {
            throw AppError.notFound("transfer")
        }
        return events
    }

    func listLines(request: Request, context: AppRequestContext) async throws -> Page<MoveLine> {
        let principal = try context.require(.stockRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        let picking = try query.get("picking_id").map { try QueryValue.id($0, field: "picking_id") }
        let move = try query.get("move_id").map { try QueryValue.id($0, field: "move_id") }
        return try await lines.list(company: principal.companyID, pickingId: picking, moveId: move, page: page, logger: context.logger)
    }

    /// The scanner sets where a line goes; groups its move feeds are synced there first (see the repository).
    func setDestination(request: Request, context: AppRequestContext) async throws -> MoveLine {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "move line")
        let input = try await request.decodeJSON(as: DestinationRequest.self, context: context)
        guard let location = input.locationId else {
            throw AppError.invalid(field: "location_id", detail: "'location_id' is required: the scanned destination")
        }
        guard let line = try await checkoutSync.setLineDestination(line: id, location: location, tokenID: principal.tokenID,
                                                                   company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("move line")
        }
        return line
    }
}
