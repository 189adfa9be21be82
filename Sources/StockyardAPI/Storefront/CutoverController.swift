import Foundation
import Hummingbird
import StockyardCore
import StockyardStore
import StockyardSync

/// `/v1/shops/{id}/cutover/…`: the runbook's checklist computed from data, a preview of the opening stock, staged
/// publishing with its progress, and going live (issue 6, item 8).
struct CutoverController {
    let cutover: CutoverRepository
    let preview: CutoverPreview

    struct SelectionRequest: Decodable {
        let skus: [String]?
        let categoryIds: [Int64]?
    }

    struct GoLiveRequest: Decodable {
        let force: Bool?
        let reason: String?
        let topSkus: [String]?
    }

    /// The preview reads the storefront and writes nothing, so it is not held in an `Idempotency-Key`'s transaction;
    /// the opening stock and going live take the key.
    func register(on group: RouterGroup<AppRequestContext>, storefrontCalls: RouterGroup<AppRequestContext>) {
        group.get("shops/:id/cutover/checklist", use: checklist)
        storefrontCalls.post("shops/:id/cutover/preview", use: runPreview)
        group.post("shops/:id/cutover/opening-stock", use: openingStock)
        group.get("shops/:id/cutover/progress", use: progress)
        group.post("shops/:id/cutover/go-live", use: goLive)
    }

    func checklist(request: Request, context: AppRequestContext) async throws -> CutoverChecklistReport {
        let (principal, shop) = try ShopController.shop(context, .shopsRead)
        let top = request.uri.queryParameters.get("top_skus").map { $0.split(separator: ",").map { String($0).trimmingWhitespace() } }
        return try await cutover.checklist(shop: shop, topSKUs: top, company: principal.companyID, logger: context.logger)
    }

    func runPreview(request: Request, context: AppRequestContext) async throws -> CutoverPreview.Report {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        let selection = try await Self.selection(request, context)
        return try await preview.preview(shop: shop, selection: selection, token: principal.tokenID, company: principal.companyID,
                                         logger: context.logger)
    }

    func openingStock(request: Request, context: AppRequestContext) async throws -> EditedResponse<OpeningStockStage> {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        let selection = try await Self.selection(request, context)
        let stage = try await cutover.publishOpeningStock(shop: shop, selection: selection, token: principal.tokenID,
                                                          company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .accepted, response: stage)
    }

    func progress(request: Request, context: AppRequestContext) async throws -> Page<OpeningStockStage> {
        let (principal, shop) = try ShopController.shop(context, .shopsRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        return try await cutover.progress(shop: shop, page: page, company: principal.companyID, logger: context.logger)
    }

    func goLive(request: Request, context: AppRequestContext) async throws -> CutoverChecklistReport {
        let (principal, shop) = try ShopController.shop(context, .shopsWrite)
        let input = try await request.decodeJSONOrEmpty(as: GoLiveRequest.self, context: context)
        return try await cutover.goLive(shop: shop, force: input?.force ?? false, reason: input?.reason, topSKUs: input?.topSkus,
                                        token: principal.tokenID, company: principal.companyID, logger: context.logger)
    }

    /// The SKUs and/or categories to cover; an empty body covers every level.
    static func selection(_ request: Request, _ context: AppRequestContext) async throws -> LevelSelection {
        let input = try await request.decodeJSONOrEmpty(as: SelectionRequest.self, context: context)
        if let skus = input?.skus, skus.isEmpty { throw AppError.invalid(field: "skus", detail: "'skus' must name at least one SKU, or be left out") }
        if let ids = input?.categoryIds, ids.isEmpty {
            throw AppError.invalid(field: "category_ids", detail: "'category_ids' must name at least one category, or be left out")
        }
        return LevelSelection(skus: input?.skus, categoryIds: input?.categoryIds)
    }
}
