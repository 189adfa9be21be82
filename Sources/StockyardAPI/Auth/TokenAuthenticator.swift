import Hummingbird
import Logging
import StockyardCore
import StockyardStore

/// Resolves `Authorization: Bearer …` to a principal, or answers 401. The tenant comes from here only.
struct TokenAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: TokenRepository

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.authorization] != nil else {
            throw AppError.unauthorized("a bearer token is required (Authorization: Bearer <token>)")
        }
        guard let token = APIToken.fromAuthorizationHeader(request.headers[.authorization]) else {
            throw AppError.unauthorized("the Authorization header must be 'Bearer <token>'")
        }
        guard let principal = try await tokens.resolve(token, logger: context.logger) else {
            throw AppError.unauthorized("the token is unknown, revoked or expired")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "company_id"] = "\(principal.companyID)"
        return try await next(request, context)
    }
}
