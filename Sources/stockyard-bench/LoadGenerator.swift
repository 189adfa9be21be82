import NIOHTTP1

/// One request to repeat under load: where, which path, which headers.
struct LoadRequest: Sendable {
    let endpoint: Endpoint
    let path: String
    let headers: [(name: String, value: String)]

    var url: String { endpoint.url(path) }

    /// The HTTP/1.1 request head the built-in client sends (keep-alive is HTTP/1.1's default).
    var head: HTTPRequestHead {
        var fields = HTTPHeaders([("Host", endpoint.authority), ("User-Agent", "stockyard-bench")])
        for header in headers { fields.add(name: header.name, value: header.value) }
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.pathPrefix + path, headers: fields)
    }
}

/// What one timed load run measured, whichever tool generated it.
struct LoadMeasurement: Sendable, Codable {
    var tool: String
    var connections: Int
    /// Wall time the requests were counted over.
    var seconds: Double
    var requests: Int
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    /// Responses outside 2xx (wrk: status ≥ 400, which it calls "Non-2xx or 3xx").
    var non2xx: Int
    /// Connect, read and write failures and timeouts.
    var socketErrors: Int
    /// Which statuses the non-2xx responses had, when the tool says (`401×1234`).
    var non2xxDetail: String?
    /// How the percentiles were computed.
    var percentileMethod: String

    var failures: Int { non2xx + socketErrors }
}

/// A way to keep `connections` requests in flight against one URL for a while (closed loop) and measure it.
protocol LoadGenerator: Sendable {
    /// The tool's name for the report: `wrk` or `built-in`.
    var name: String { get }
    /// A longer description for the report header (version, threads).
    var summary: String { get }
    func run(_ request: LoadRequest, connections: Int, seconds: Int) async throws -> LoadMeasurement
}
