import Foundation
import Hummingbird
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore

/// RFC 9457 problem details, the body of every error response.
struct Problem: Codable, Sendable {
    static let typeBase = "https://stockyard.dev/problems/"

    let type: String
    let title: String
    let status: Int
    let detail: String?
    /// The offending input field, as the client spelled it (`lines[0].quantity`).
    let field: String?
    let instance: String?
    let requestId: String?

    init(slug: String, title: String, status: HTTPResponse.Status, detail: String?, field: String? = nil,
         instance: String? = nil, requestID: String? = nil) {
        self.type = Self.typeBase + slug
        self.title = title
        self.status = status.code
        self.detail = detail
        self.field = field
        self.instance = instance
        self.requestId = requestID
    }

    /// The problem for an error: domain errors by kind, Hummingbird's HTTP errors by status, anything else a 500.
    static func from(_ error: any Error) -> (Problem, HTTPResponse.Status) {
        switch error {
        case let error as AppError:
            return from(error)
        case let error as InputError:
            return from(AppError(error))
        case let error as any HTTPResponseError:
            let status = error.status
            switch status {
            case .contentTooLarge:
                return (Problem(slug: "body-too-large", title: "Request body too large", status: status,
                                detail: "the request body exceeds the size limit"), status)
            case .notFound:
                return (Problem(slug: "not-found", title: "Not found", status: status, detail: "no such route"), status)
            case .methodNotAllowed:
                return (Problem(slug: "method-not-allowed", title: "Method not allowed", status: status,
                                detail: "this route does not accept that method"), status)
            default:
                let detail = (error as? HTTPError)?.body
                return (Problem(slug: "http-\(status.code)", title: status.reasonPhrase, status: status, detail: detail), status)
            }
        case is ConnectionPool.ShutDown:
            return (Problem(slug: "unavailable", title: "Service unavailable", status: .serviceUnavailable,
                            detail: "the server is shutting down; retry later"), .serviceUnavailable)
        case _ where DatabaseOutage.covers(error):
            // The database is away (down, starting up, moved, or past a statement deadline): nothing is the
            // client's fault and the same request can be sent again.
            return (Problem(slug: "unavailable", title: "Service unavailable", status: .serviceUnavailable,
                            detail: "the database is not reachable; retry later"), .serviceUnavailable)
        case let psql as PSQLError:
            // A data exception (class 22) or a CHECK violation is a value the repositories did not catch, so the
            // client's. Anything else is a bug.
            guard let state = psql.sqlState else { return internalError }
            // A deadlock or serialization failure: Postgres rolled back one of two concurrent writers; nothing was
            // written and the same request can be sent again.
            if state == "40P01" || state == "40001" {
                return from(AppError.conflict("a concurrent change to the same rows won; nothing was written, retry the request"))
            }
            if state.hasPrefix("22") || state == "23514" {
                let field = CheckConstraintField.field(constraint: psql.serverInfo?[.constraintName], table: psql.serverInfo?[.tableName])
                return from(AppError.invalid(field: field, detail: "a value is out of range or malformed: \(psql.serverMessage ?? state)"))
            }
            return internalError
        default:
            return internalError
        }
    }

    static var internalError: (Problem, HTTPResponse.Status) {
        (Problem(slug: "internal", title: "Internal server error", status: .internalServerError,
                 detail: "an unexpected error occurred; it has been logged with the request id"), .internalServerError)
    }

    static func from(_ error: AppError) -> (Problem, HTTPResponse.Status) {
        switch error {
        case .unauthorized(let detail):
            return (Problem(slug: "unauthorized", title: "Unauthorized", status: .unauthorized, detail: detail), .unauthorized)
        case .forbidden(let detail):
            return (Problem(slug: "forbidden", title: "Forbidden", status: .forbidden, detail: detail), .forbidden)
        case .notFound(let what):
            return (Problem(slug: "not-found", title: "Not found", status: .notFound, detail: "\(what) not found"), .notFound)
        case .conflict(let detail):
            return (Problem(slug: "conflict", title: "Conflict", status: .conflict, detail: detail), .conflict)
        case .invalid(let field, let detail):
            return (Problem(slug: "invalid-input", title: "Invalid input", status: .unprocessableContent, detail: detail, field: field),
                    .unprocessableContent)
        case .malformed(let detail):
            return (Problem(slug: "malformed-json", title: "Malformed JSON", status: .badRequest, detail: detail), .badRequest)
        case .tooLarge(let limit):
            return (Problem(slug: "body-too-large", title: "Request body too large", status: .contentTooLarge,
                            detail: "the request body exceeds \(limit) bytes"), .contentTooLarge)
        case .unavailable(let detail):
            return (Problem(slug: "unavailable", title: "Service unavailable", status: .serviceUnavailable, detail: detail),
                    .serviceUnavailable)
        }
    }

    func response(status: HTTPResponse.Status) -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="stockyard""# }
        let body = (try? JSONCoding.encoder.encode(self)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every thrown error into problem+json. Unexpected errors are logged in full; clients get the request id.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, to: request, context: context)
        }
    }

    /// The problem+json answer to `request` for `error`, logged when it is the server's.
    static func response(for error: any Error, to request: Request, context: Context) -> Response {
        let (problem, status) = Problem.from(error)
        if status.code >= 500 {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        let withContext = Problem(
            slug: String(problem.type.dropFirst(Problem.typeBase.count)), title: problem.title, status: status,
            detail: problem.detail, field: problem.field, instance: request.uri.path, requestID: context.requestID)
        return withContext.response(status: status)
    }
}
