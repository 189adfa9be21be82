import Hummingbird
import StockyardCore

/// Refuses bodies over the configured limit (413) before they are read in full, then buffers the rest,
/// so handlers and webhook HMAC checks see a complete, bounded body.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw AppError.tooLarge(limit: limit)
        }
        var request = request
        var context = context
        context.maxUploadSize = limit
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw AppError.tooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}
