import Hummingbird
import StockyardCore
import StockyardStore

/// `GET /v1/me`: who this token is — its company (read inside that company's scope), shop and scopes.
struct MeController {
    let companies: CompanyRepository

    struct Me: ResponseEncodable {
        let tokenId: Int64
        let companyId: Int64
        let company: Company
        let shopId: Int64?
        let scopes: [Scope]
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("me") { _, context in
            let principal = try context.requirePrincipal()
            guard let company = try await companies.get(principal.companyID, logger: context.logger) else {
                throw AppError.unauthorized("the token's company no longer exists")
            }
            return Me(tokenId: principal.tokenID, companyId: principal.companyID, company: company,
                      shopId: principal.shopID, scopes: principal.scopes)
        }
    }
}
