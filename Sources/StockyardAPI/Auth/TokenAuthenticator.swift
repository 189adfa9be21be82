import Hummingbird
import Logging
import StockyardCore
import StockyardStore

/// Resolves `Authorization: Bearer …` to a principal, or answers 401. The tenant comes from here only.
struct TokenAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: TokenRepository
    let cache: TokenCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.authorization] != nil else {
            throw AppError.unauthorized("a bearer token is required (Authorization: Bearer <token>)")
        }
        guard let token = APIToken.fromAuthorizationHeader(request.headers[.authorization]) else {
            throw AppError.unauthorized("the Authorization header must be 'Bearer <token>'")
        }
        guard let principal = try await resolve(token, logger: context.logger) else {
            throw AppError.unauthorized("the token is unknown, revoked or expired")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "company_id"] = "\(principal.companyID)"
        return try await next(request, context)
    }

    private func resolve(_ token: APIToken, logger: Logger) async throws -> Principal? {
        let hash = token.hash.hexString
        if let principal = cache.principal(forHash: hash) { return principal }
        let generation = cache.generation()
        guard let principal = try await tokens.resolve(token, logger: logger) else { return nil }
        cache.store(principal, hash: hash, generation: generation)
        return principal
    }
}
