import Hummingbird
import Prometheus
import StockyardStore

/// `GET /metrics`: Prometheus text exposition. Pool gauges are sampled at scrape time.
struct MetricsController {
    let registry: PrometheusCollectorRegistry
    let database: Database

    func register(on router: Router<AppRequestContext>) {
        let inUse = registry.makeGauge(name: "stockyard_db_pool_connections_in_use", help: "Pool connections leased right now")
        let max = registry.makeGauge(name: "stockyard_db_pool_connections_max", help: "Most connections the pool may open")
        let leases = registry.makeGauge(name: "stockyard_db_pool_leases", help: "Connections leased since start")
        router.get("/metrics") { _, _ -> Response in
            let stats = database.poolStats
            inUse.set(Double(stats.inUse))
            max.set(Double(database.poolSize))
            leases.set(Double(stats.leasesTotal))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}
