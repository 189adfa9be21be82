import Hummingbird
import HummingbirdTesting
@testable import StockyardAPI
import StockyardCore
import StockyardStore
import Testing

/// A request whose lease the pool gave up on answers 503 problem+json at once, though its handler never returns.
@Suite(.timeLimit(.minutes(1))) struct UnwaitedResponderTests {
    @Test func aRequestWhoseWaitIsEndedAnswers503() async throws {
        let router = Router(context: AppRequestContext.self)
        router.get("/stuck") { _, _ -> Response in
            AwaitScope.current?.stopWaiting(with: StatementDeadlineExceeded(deadline: .seconds(10)))
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }   // never resumed
            return Response(status: .ok)
        }
        let app = Application(router: UnwaitedRouter(router: router))
        try await app.test(.router) { client in
            try await client.execute(uri: "/stuck", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }
}
