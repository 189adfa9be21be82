import Hummingbird
import HTTPTypes
import Logging

/// Gives every request an id: the caller's `X-Request-Id` when it is sane, else Hummingbird's own
/// (a per-process random prefix and a counter: unique without a random draw per request).
/// The id goes into every log line of the request and back in the response header.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = RequestIDHeader.name

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.sanitized) ?? context.id
        context.requestID = id
        context.logger[metadataKey: "request_id"] = "\(id)"
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }

    static func sanitized(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 < 128 && ($0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                  || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                  || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)) })
        else { return nil }
        return value
    }
}

public enum RequestIDHeader {
    /// `X-Request-Id`.
    public static let name = HTTPField.Name("X-Request-Id")!
}
