import Foundation
import Hummingbird
import StockyardCore
import StockyardStore
import StockyardSync

/// The cutover's mapping work per shop: the location map (`/v1/shops/{id}/locations`) and the product links
/// (`/v1/shops/{id}/variants`), both imported from the storefront and then completed by hand.
struct ShopMappingController {
    let shops: ShopRepository
    let locations: StorefrontLocationRepository
    let variants: StorefrontVariantRepository
    let importer: StorefrontImport

    struct LocationChangesRequest: Decodable {
        let changes: StorefrontLocationChanges

        enum CodingKeys: String, CodingKey { case kind, locationId, sync, buffer, notes, direction }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var changes = StorefrontLocationChanges()
            changes.kind = try c.decodePatch(StorefrontLocationKind.self, forKey: .kind)
            changes.locationId = try c.decodePatch(Int64.self, forKey: .locationId)
            changes.sync = try c.decodePatch(StorefrontLocationSync.self, forKey: .sync)
            changes.buffer = try c.decodePatch(Int.self, forKey: .buffer)
            changes.notes = try c.decodePatch(String.self, forKey: .notes)
            changes.direction = try c.decodePatch(InventoryDirection.self, forKey: .direction)
            self.changes = changes
        }
    }

    struct VariantImportRequest: Decodable { let createProducts: Bool? }
    struct LinkRequest: Decodable { let productId: Int64 }
    struct ConfirmRequest: Decodable { let variantIds: [Int64]? }
    struct Confirmed: ResponseEncodable { let confirmed: Int }
    struct LocationList: ResponseEncodable { let items: [StorefrontLocation] }

    /// The imports call the storefront, so they are not held in an `Idempotency-Key`'s transaction meanwhile; an
    /// import is safe to retry as it is (it brings the same rows up to date). The other writes take the key.
    func register(on group: RouterGroup<AppRequestContext>, storefrontCalls: RouterGroup<AppRequestContext>) {
        group.get("shops/:id/locations", use: listLocations)
        storefrontCalls.post("shops/:id/locations/import", use: importLocations)
        group.patch("shops/:id/locations/:locationId", use: updateLocation)
        group.get("shops/:id/variants", use: listVariants)
        storefrontCalls.post("shops/:id/variants/import", use: importVariants)
        group.post("shops/:id/variants/confirm", use: confirm)
        group.put("shops/:id/variants/:variantId/product", use: link)
        group.delete("shops/:id/variants/:variantId/product", use: unlink)
    }

    func listLocations(request: Request, context: AppRequestContext) async throws -> Page<StorefrontLocation> {
        let (principal, shop) = try ShopController.shop(context, .shopsRead)
        try await ShopController.requireShop(shop, principal, shops, context)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        return try await locations.list(shop: shop, page: page, company: principal.companyID, logger: context.logger)
    }

    func importLocations(request: Request, context: AppRequestContext) async throws -> LocationList {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        try await ShopController.requireShop(shop, principal, shops, context)
        return LocationList(items: try await importer.importLocations(shop: shop, company: principal.companyID, logger: context.logger))
    }

    func updateLocation(request: Request, context: AppRequestContext) async throws -> StorefrontLocation {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        let id = try context.parameters.requireID("locationId", resource: "storefront location")
        let input = try await request.decodeJSON(as: LocationChangesRequest.self, context: context)
        guard let location = try await locations.update(id: id, shop: shop, changes: input.changes, company: principal.companyID,
                                                        logger: context.logger) else { throw AppError.notFound("storefront location") }
        return location
    }

    func listVariants(request: Request, context: AppRequestContext) async throws -> Page<StorefrontVariant> {
        let (principal, shop) = try ShopController.shop(context, .shopsRead)
        try await ShopController.requireShop(shop, principal, shops, context)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        var filter = VariantFilter(sku: query.get("sku"))
        if let issue = query.get("match_issue") {
            guard ["unmatched", "ambiguous", "not_active"].contains(issue) else {
                throw AppError.invalid(field: "match_issue", detail: "'match_issue' must be one of unmatched, ambiguous, not_active")
            }
            filter.matchIssue = issue
        }
        filter.linked = try query.get("linked").map { try QueryValue.bool($0, field: "linked") }
        return try await variants.list(shop: shop, filter: filter, page: page, company: principal.companyID, logger: context.logger)
    }

    func importVariants(request: Request, context: AppRequestContext) async throws -> VariantImportSummary {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        try await ShopController.requireShop(shop, principal, shops, context)
        let input = try await request.decodeJSONOrEmpty(as: VariantImportRequest.self, context: context)
        return try await importer.importVariants(shop: shop, createProducts: input?.createProducts ?? false,
                                                 company: principal.companyID, logger: context.logger)
    }

    func confirm(request: Request, context: AppRequestContext) async throws -> Confirmed {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        try await ShopController.requireShop(shop, principal, shops, context)
        let input = try await request.decodeJSONOrEmpty(as: ConfirmRequest.self, context: context)
        return Confirmed(confirmed: try await variants.confirm(variants: input?.variantIds, shop: shop, company: principal.companyID,
                                                               logger: context.logger))
    }

    func link(request: Request, context: AppRequestContext) async throws -> StorefrontVariant {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        let id = try context.parameters.requireID("variantId", resource: "variant")
        let input = try await request.decodeJSON(as: LinkRequest.self, context: context)
        guard let variant = try await variants.link(variant: id, to: input.productId, shop: shop, company: principal.companyID,
                                                    logger: context.logger) else { throw AppError.notFound("variant") }
        return variant
    }

    func unlink(request: Request, context: AppRequestContext) async throws -> StorefrontVariant {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        let id = try context.parameters.requireID("variantId", resource: "variant")
        guard let variant = try await variants.link(variant: id, to: nil, shop: shop, company: principal.companyID,
                                                    logger: context.logger) else { throw AppError.notFound("variant") }
        return variant
    }
}
