import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// `/v1/tokens`: list, issue, read and revoke the company's API tokens.
struct TokenController {
    let tokens: TokenRepository
    let cache: TokenCache

    struct IssueRequest: Decodable {
        let name: String?
        let scopes: [String]
        let shopId: Int64?
        let expiresAt: Date?
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("tokens", use: list)
        group.post("tokens", use: issue)
        group.get("tokens/:id", use: get)
        group.delete("tokens/:id", use: revoke)
    }

    func list(request: Request, context: AppRequestContext) async throws -> Page<TokenInfo> {
        let principal = try context.require(.tokensRead)
        let page = try PageRequest(limit: request.uri.queryParameters.get("limit"), cursor: request.uri.queryParameters.get("cursor"))
        return try await tokens.list(company: principal.companyID, shop: principal.shopID, page: page, logger: context.logger)
    }

    func issue(request: Request, context: AppRequestContext) async throws -> EditedResponse<IssuedToken> {
        let principal = try context.require(.tokensWrite)
        let input = try await request.decodeJSON(as: IssueRequest.self, context: context)
        let scopes: [Scope]
        do { scopes = try Scope.parse(input.scopes) } catch { throw AppError.invalid(field: "scopes", detail: error.description) }
        // A token cannot mint a token more powerful or longer-lived than itself, nor one outside its shop.
        if let missing = scopes.first(where: { !principal.scopes.allows($0) }) {
            throw AppError.forbidden("this token cannot grant the '\(missing.rawValue)' scope it does not hold")
        }
        if let ownShop = principal.shopID, let shop = input.shopId, shop != ownShop {
            throw AppError.forbidden("this token is bound to shop \(ownShop) and cannot issue tokens for another shop")
        }
        var expiresAt = input.expiresAt ?? principal.expiresAt
        if let limit = principal.expiresAt, let requested = expiresAt, requested > limit { expiresAt = limit }
        let issued = try await tokens.issue(company: principal.companyID, shop: input.shopId ?? principal.shopID,
                                            name: input.name ?? "", scopes: scopes, expiresAt: expiresAt,
                                            logger: context.logger)
        return EditedResponse(status: .created, response: issued)
    }

    func get(request: Request, context: AppRequestContext) async throws -> TokenInfo {
        let principal = try context.require(.tokensRead)
        let id = try context.parameters.requireID(resource: "token")
        guard let token = try await tokens.get(id: id, company: principal.companyID, shop: principal.shopID, logger: context.logger) else {
            throw AppError.notFound("token")
        }
        return token
    }

    func revoke(request: Request, context: AppRequestContext) async throws -> TokenInfo {
        let principal = try context.require(.tokensWrite)
        let id = try context.parameters.requireID(resource: "token")
        guard let (token, hash) = try await tokens.revoke(id: id, company: principal.companyID, shop: principal.shopID,
                                                          logger: context.logger) else {
            throw AppError.notFound("token")
        }
        // Other processes learn of it by NOTIFY; this one must not serve the token even until that arrives.
        cache.invalidate(hash: hash)
        return token
    }
}
