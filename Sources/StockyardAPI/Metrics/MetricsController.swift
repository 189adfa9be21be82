import Hummingbird
import Prometheus
import StockyardStore
import Synchronization

/// `GET /metrics`: Prometheus text exposition. Pool gauges are sampled at scrape time.
struct MetricsController {
    let registry: PrometheusCollectorRegistry
    let database: Database

    func register(on router: Router<AppRequestContext>) {
        let inUse = registry.makeGauge(name: "stockyard_db_pool_connections_in_use", help: "Pool connections leased right now")
        let waiting = registry.makeGauge(name: "stockyard_db_pool_waiting", help: "Requests waiting for a pool connection")
        let max = registry.makeGauge(name: "stockyard_db_pool_connections_max", help: "Connections the pool keeps open")
        let leases = registry.makeCounter(name: "stockyard_db_pool_leases_total", help: "Connections leased since start")
        let exported = Mutex(0)   // leases already added to the counter
        router.get("/metrics") { _, _ -> Response in
            let stats = database.poolStats
            inUse.set(Double(stats.inUse))
            waiting.set(Double(stats.waiting))
            max.set(Double(database.poolSize))
            leases.increment(by: Int64(exported.withLock { exported in
                defer { exported = stats.leasesTotal }
                return stats.leasesTotal - exported
            }))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}
