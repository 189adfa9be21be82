import HTTPTypes
import Hummingbird
import NIOCore
import StockyardCore
import StockyardStore
import Synchronization

/// `Idempotency-Key` on POST and PATCH: the first request with a key runs and its response is stored with its
/// effects, in one transaction; a retry with the same key and request gets that response again
/// (`Idempotent-Replayed: true`) and changes nothing. A request that fails rolls back with its key, so its retry
/// runs anew. Requests without the header are untouched.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!
    let keys: IdempotencyKeyRepository

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post || request.method == .patch,
              let header = request.headers[HTTPField.Name(IdempotencyKey.headerName)!],
              let principal = context.principal else {
            return try await next(request, context)
        }
        let key = try IdempotencyKey(header: header)
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)   // already buffered by BodyLimitMiddleware
        let fingerprint = IdempotencyKey.fingerprint(method: request.method.rawValue, path: request.uri.description,
                                                     body: body.readableBytesView)
        let outcome = try await keys.perform(key: key.value, fingerprint: fingerprint, company: principal.companyID,
                                             logger: context.logger) {
            try await Self.store(next(request, context))
        }
        switch outcome {
        case .performed(let stored): return Self.response(stored, replayed: false)
        case .replayed(let stored): return Self.response(stored, replayed: true)
        }
    }

    /// The response with its body read into memory, as it is kept for replays.
    private static func store(_ response: Response) async throws -> StoredResponse {
        let collector = BodyCollector()
        try await response.body.write(collector)
        return StoredResponse(status: Int(response.status.code), contentType: response.headers[.contentType],
                              location: response.headers[.location], body: collector.buffer.withLock { $0 })
    }

    private static func response(_ stored: StoredResponse, replayed: Bool) -> Response {
        var headers = HTTPFields()
        if let contentType = stored.contentType { headers[.contentType] = contentType }
        if let location = stored.location { headers[.location] = location }
        if replayed { headers[replayedHeader] = "true" }
        return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: stored.body))
    }
}

/// A `ResponseBodyWriter` that keeps what is written.
private struct BodyCollector: ResponseBodyWriter {
    let buffer = SharedBuffer()

    func write(_ part: ByteBuffer) async throws {
        _ = buffer.withLock { $0.writeImmutableBuffer(part) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

private final class SharedBuffer: Sendable {
    private let storage = Mutex(ByteBuffer())
    func withLock<T>(_ body: (inout ByteBuffer) -> T) -> T { storage.withLock { body(&$0) } }
}
