import Hummingbird
import Prometheus
import StockyardStore
import Synchronization

/// `GET /metrics`: Prometheus text exposition. Pool gauges are sampled at scrape time, one series per pool
/// (`pool="api"`, `pool="jobs"`).
struct MetricsController {
    let registry: PrometheusCollectorRegistry
    let pools: [(name: String, database: Database)]

    func register(on router: Router<AppRequestContext>) {
        let samplers = pools.map { PoolGauges(registry: registry, pool: $0.name, database: $0.database) }
        router.get("/metrics") { _, _ -> Response in
            for sampler in samplers { sampler.sample() }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

/// One pool's gauges and counters.
private final class PoolGauges: Sendable {
    let database: Database
    let inUse: Gauge, waiting: Gauge, max: Gauge, leases: Counter, deadlineHits: Counter
    let exported = Mutex((leases: 0, deadlineHits: 0))   // what the counters hold already

    init(registry: PrometheusCollectorRegistry, pool: String, database: Database) {
        let labels = [("pool", pool)]
        self.database = database
        inUse = registry.makeGauge(name: "stockyard_db_pool_connections_in_use", labels: labels, help: "Pool connections leased right now")
        waiting = registry.makeGauge(name: "stockyard_db_pool_waiting", labels: labels, help: "Requests waiting for a pool connection")
        max = registry.makeGauge(name: "stockyard_db_pool_connections_max", labels: labels, help: "Connections the pool keeps open")
        leases = registry.makeCounter(name: "stockyard_db_pool_leases_total", labels: labels, help: "Connections leased since start")
        deadlineHits = registry.makeCounter(name: "stockyard_db_pool_deadline_hits_total", labels: labels,
                                            help: "Leases whose connection was closed at their statement deadline")
    }

    func sample() {
        let stats = database.poolStats
        inUse.set(Double(stats.inUse))
        waiting.set(Double(stats.waiting))
        max.set(Double(database.poolSize))
        let (newLeases, newHits) = exported.withLock { exported in
            defer { exported = (stats.leasesTotal, stats.deadlineHitsTotal) }
            return (stats.leasesTotal - exported.leases, stats.deadlineHitsTotal - exported.deadlineHits)
        }
        leases.increment(by: Int64(newLeases))
        deadlineHits.increment(by: Int64(newHits))
    }
}
