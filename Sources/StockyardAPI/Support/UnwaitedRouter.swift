import Hummingbird
import StockyardCore
import StockyardStore

/// The router, run in a task of its own whose wait the connection pool can end (decisions D35): when the pool gives up
/// on a request's lease (its statement was dropped by PostgresNIO as the connection closed under it, so the request
/// would never be answered), the request answers 503 at once; the stuck task is left suspended.
struct UnwaitedRouter<Router: HTTPResponderBuilder>: HTTPResponderBuilder where Router.Responder.Context == AppRequestContext {
    let router: Router

    func buildResponder() -> UnwaitedResponder<Router.Responder> { UnwaitedResponder(inner: router.buildResponder()) }
}

struct UnwaitedResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == AppRequestContext {
    let inner: Inner

    func respond(to request: Request, context: AppRequestContext) async throws -> Response {
        do {
            return try await awaitAtMost(nil) { try await inner.respond(to: request, context: context) }
        } catch let error as StatementDeadlineExceeded {
            return ProblemMiddleware.response(for: error, to: request, context: context)
        }
    }
}
