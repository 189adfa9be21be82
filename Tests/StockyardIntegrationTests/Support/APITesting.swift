import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceLifecycle
import StockyardAPI
import StockyardCore
import StockyardStore

/// Runs `body` against the real router (in-process, no socket) on the shared app pool.
/// Without `services`, the API's own background services (the token change listener) do not run.
func withAPI<T: Sendable>(
    _ dependencies: APIDependencies? = nil,
    services: [any Service] = [],
    _ body: @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    let environment = try await TestEnvironment.get()
    let app = buildApplication(dependencies ?? environment.apiDependencies(), services: services, logger: environment.logger)
    return try await app.test(.router) { client in try await body(client) }
}

/// A response reduced to what tests assert on.
struct APIResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: Data

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw TestFailure("response body is not a JSON object: \(String(decoding: body, as: UTF8.self))")
        }
        return object
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONCoding.decoder.decode(T.self, from: body) }

    var text: String { String(decoding: body, as: UTF8.self) }
    var isProblem: Bool { headers[.contentType] == "application/problem+json" }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TestClientProtocol {
    /// Sends a request with an optional bearer token and JSON body.
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> APIResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            APIResponse(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
        }
    }
}
