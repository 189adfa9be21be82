/// One endpoint the `http` bench loads, and the bar it has to clear.
struct HTTPScenario: Sendable {
    let name: String
    let path: String
    /// Sent with every request (the bearer token for authenticated reads).
    let headers: [(name: String, value: String)]
    let target: Target
    /// Why the scenario cannot run at all (no token given), if it cannot.
    let unavailable: String?

    func request(at endpoint: Endpoint) -> LoadRequest {
        LoadRequest(endpoint: endpoint, path: path, headers: headers)
    }

    /// The targets for this 2-core machine. RSS is a property of the whole server process, so it is judged
    /// on every scenario; only the authenticated read has a throughput and latency bar.
    static let rssLimitMegabytes = 100.0

    /// `GET /health`: no auth, no database — the floor the HTTP stack itself sets.
    static let health = HTTPScenario(
        name: "GET /health", path: "/health", headers: [],
        target: Target(maxPeakRSSMegabytes: rssLimitMegabytes), unavailable: nil)

    /// `GET /v1/me`: token lookup through the SECURITY DEFINER function, then a tenant-scoped transaction.
    static func me(token: String?) -> HTTPScenario {
        HTTPScenario(
            name: "GET /v1/me", path: "/v1/me",
            headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [],
            target: Target(minRequestsPerSecond: 5000, maxP99Milliseconds: 10, maxPeakRSSMegabytes: rssLimitMegabytes),
            unavailable: token == nil ? "no --token given (ops/bench gets one from `stockyard demo --json`)" : nil)
    }
}
