import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// `/v1/shops`: a company's storefronts and their connection (credentials are write-only), what each storefront
/// location can sell (`availability`), and the drift between that and what the storefront holds.
struct ShopController {
    let shops: ShopRepository
    let levels: InventoryLevelRepository
    let drift: DriftRepository
    /// The webhook endpoint's shops, forgotten when a shop is created or changed here.
    let webhookShops: WebhookShopCache

    /// The writable fields, for POST (with name and domain) and PATCH. Left out: unchanged; null: cleared.
    struct SettingsRequest: Decodable {
        let name: String?
        let domain: String?
        let settings: ShopSettings

        enum CodingKeys: String, CodingKey {
            case name, domain, apiBaseUrl, apiVersion, accessToken, webhookSecret, inventoryDirection, reconcileIntervalSeconds,
                 allowProductCreation, monitoringOwner
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var settings = ShopSettings()
            settings.name = try c.decodePatch(String.self, forKey: .name)
            settings.apiBaseUrl = try c.decodePatch(String.self, forKey: .apiBaseUrl)
            settings.apiVersion = try c.decodePatch(String.self, forKey: .apiVersion)
            settings.accessToken = try c.decodePatch(String.self, forKey: .accessToken)
            settings.webhookSecret = try c.decodePatch(String.self, forKey: .webhookSecret)
            settings.inventoryDirection = try c.decodePatch(InventoryDirection.self, forKey: .inventoryDirection)
            settings.reconcileIntervalSeconds = try c.decodePatch(Int.self, forKey: .reconcileIntervalSeconds)
            settings.allowProductCreation = try c.decodePatch(Bool.self, forKey: .allowProductCreation)
            settings.monitoringOwner = try c.decodePatch(String.self, forKey: .monitoringOwner)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            domain = try c.decodeIfPresent(String.self, forKey: .domain)
            self.settings = settings
        }
    }


    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("shops", use: list)
        group.post("shops", use: create)
        group.get("shops/:id", use: get)
        group.patch("shops/:id", use: update)
        group.get("shops/:id/availability", use: availability)
        group.get("shops/:id/drift", use: listDrift)
        group.post("shops/:id/reconcile", use: reconcile)
    }

    func list(request: Request, context: AppRequestContext) async throws -> Page<Shop> {
        let principal = try context.require(.shopsRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        return try await shops.list(company: principal.companyID, shop: principal.shopID, page: page, logger: context.logger)
    }

    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<Shop> {
        let principal = try context.require(.shopsWrite)
        guard principal.shopID == nil else { throw AppError.forbidden("a shop-bound token cannot create shops") }
        let input = try await request.decodeJSON(as: SettingsRequest.self, context: context)
        guard let name = input.name else { throw AppError.invalid(field: "name", detail: "'name' is required") }
        guard let domain = input.domain else { throw AppError.invalid(field: "domain", detail: "'domain' is required") }
        var settings = input.settings
        settings.name = .absent
        let shop = try await shops.create(name: name, domain: domain, settings: settings, company: principal.companyID, logger: context.logger)
        webhookShops.forgetAll()
        return EditedResponse(status: .created, response: shop)
    }

    func get(request: Request, context: AppRequestContext) async throws -> Shop {
        let (principal, id) = try Self.shop(context, .shopsRead)
        guard let shop = try await shops.get(id: id, company: principal.companyID, logger: context.logger) else { throw AppError.notFound("shop") }
        return shop
    }

    func update(request: Request, context: AppRequestContext) async throws -> Shop {
        let (principal, id) = try Self.shop(context, .shopsWrite)
        let input = try await request.decodeJSON(as: SettingsRequest.self, context: context)
        if input.domain != nil { throw AppError.invalid(field: "domain", detail: "a shop's domain cannot change; create another shop") }
        guard let shop = try await shops.update(id: id, settings: input.settings, company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("shop")
        }
        webhookShops.forgetAll()
        return shop
    }

    func availability(request: Request, context: AppRequestContext) async throws -> Page<InventoryLevel> {
        let (principal, id) = try Self.shop(context, .shopsRead)
        try await Self.requireShop(id, principal, shops, context)
        let query = request.uri.queryParameters
        let page = try PairPageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        return try await levels.availability(shop: id, sku: query.get("sku"), page: page, company: principal.companyID, logger: context.logger)
    }

    func listDrift(request: Request, context: AppRequestContext) async throws -> Page<DriftEvent> {
        let (principal, id) = try Self.shop(context, .shopsRead)
        try await Self.requireShop(id, principal, shops, context)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        let driftClass = try query.get("class").map { text throws(AppError) in
            guard let parsed = DriftClass(rawValue: text) else {
                throw .invalid(field: "class", detail: "'class' must be one of \(DriftClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return parsed
        }
        let includeResolved = try query.get("include_resolved").map { try QueryValue.bool($0, field: "include_resolved") } ?? false
        return try await drift.list(shop: id, includeResolved: includeResolved, driftClass: driftClass, page: page,
                                    company: principal.companyID, logger: context.logger)
    }

    struct Reconciling: ResponseEncodable { let jobId: Int64 }

    /// Runs the shop's reconcile now; its result shows in the drift list, its job in `/v1/jobs/{job_id}`.
    func reconcile(request: Request, context: AppRequestContext) async throws -> EditedResponse<Reconciling> {
        let (principal, id) = try Self.shop(context, .shopsWrite)
        let job = try await shops.reconcileNow(shop: id, company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .accepted, response: Reconciling(jobId: job))
    }

    /// 404 unless the shop exists for the caller's company.
    static func requireShop(_ id: Int64, _ principal: Principal, _ shops: ShopRepository, _ context: AppRequestContext) async throws {
        guard try await shops.get(id: id, company: principal.companyID, logger: context.logger) != nil else { throw AppError.notFound("shop") }
    }

    /// The caller (holding `scope`) and the shop id of the path; a shop-bound token sees only its own shop.
    static func shop(_ context: AppRequestContext, _ scope: Scope) throws(AppError) -> (Principal, Int64) {
        let principal = try context.require(scope)
        let id = try context.parameters.requireID(resource: "shop")
        if let bound = principal.shopID, bound != id { throw .notFound("shop") }
        return (principal, id)
    }
}
