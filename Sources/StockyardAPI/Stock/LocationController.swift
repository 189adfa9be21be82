import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// `/v1/locations`: the company's location tree, with Odoo's field names.
struct LocationController {
    let locations: LocationRepository

    struct CreateRequest: Decodable {
        let name: String
        let locationId: Int64?
        let usage: LocationUsage?
        let barcode: String?
        let active: Bool?
    }

    /// PATCH body: a field left out stays; `"location_id": null` makes a root, `"barcode": null` clears it.
    struct UpdateRequest: Decodable {
        let changes: LocationChanges

        enum CodingKeys: String, CodingKey { case name, locationId, usage, barcode, active }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            var changes = LocationChanges()
            changes.name = try container.decodePatch(String.self, forKey: .name)
            changes.locationId = try container.decodePatch(Int64.self, forKey: .locationId)
            changes.usage = try container.decodePatch(LocationUsage.self, forKey: .usage)
            changes.barcode = try container.decodePatch(String.self, forKey: .barcode)
            changes.active = try container.decodePatch(Bool.self, forKey: .active)
            self.changes = changes
        }
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("locations", use: list)
        group.post("locations", use: create)
        group.get("locations/:id", use: get)
        group.patch("locations/:id", use: update)
    }

    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<Location> {
        let principal = try context.require(.stockWrite)
        let input = try await request.decodeJSON(as: CreateRequest.self, context: context)
        let draft = LocationDraft(name: input.name, locationId: input.locationId, usage: input.usage ?? .internal,
                                  barcode: input.barcode, active: input.active ?? true)
        let location = try await locations.create(draft, company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .created, response: location)
    }

    func get(request: Request, context: AppRequestContext) async throws -> Location {
        let principal = try context.require(.stockRead)
        let id = try context.parameters.requireID(resource: "location")
        guard let location = try await locations.get(id: id, company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("location")
        }
        return location
    }

    func list(request: Request, context: AppRequestContext) async throws -> Page<Location> {
        let principal = try context.require(.stockRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        var filter = LocationFilter()
        if let usage = query.get("usage") {
            guard let parsed = LocationUsage(rawValue: usage) else {
                throw AppError.invalid(field: "usage", detail: "'usage' must be one of \(LocationUsage.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.usage = parsed
        }
        filter.childOf = try query.get("child_of").map { try QueryValue.id($0, field: "child_of") }
        filter.active = try query.get("active").map { try QueryValue.bool($0, field: "active") }
        filter.barcode = query.get("barcode")
        return try await locations.list(company: principal.companyID, filter: filter, page: page, logger: context.logger)
    }

    func update(request: Request, context: AppRequestContext) async throws -> Location {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "location")
        let input = try await request.decodeJSON(as: UpdateRequest.self, context: context)
        guard let location = try await locations.update(id: id, changes: input.changes, company: principal.companyID,
                                                        logger: context.logger) else {
            throw AppError.notFound("location")
        }
        return location
    }
}
