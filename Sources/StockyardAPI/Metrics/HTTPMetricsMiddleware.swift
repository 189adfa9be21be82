import Hummingbird
import Logging
import Prometheus

/// Counts requests and records latency by route template and status, and writes one access-log line per request.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let registry: PrometheusCollectorRegistry

    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        // The template (/v1/tokens/{id}), never the raw path, so ids do not explode the label set.
        let route = context.endpointPath.map { $0 == "NotFound" ? "unmatched" : $0 } ?? "unmatched"
        let method = request.method.rawValue
        let status = String(response.status.code)
        registry.makeCounter(name: "stockyard_http_requests_total",
                             labels: [("method", method), ("route", route), ("status", status)]).increment()
        registry.makeDurationHistogram(name: "stockyard_http_request_duration_seconds",
                                       labels: [("method", method), ("route", route), ("status", status)],
                                       buckets: Self.buckets).record(elapsed)
        context.logger.info("request", metadata: [
            "method": "\(method)", "path": "\(request.uri.path)", "status": "\(status)",
            "ms": "\(elapsed / .milliseconds(1))",
        ])
        return response
    }
}
