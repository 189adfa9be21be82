import Prometheus

/// The runner's figures at `/metrics`: jobs claimed, succeeded, retried and dead by kind, the wait from due to
/// start, the queue depth, and LISTEN reconnects.
public struct JobRunnerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let depth: Gauge
    let reconnects: Counter

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        depth = registry.makeGauge(name: "stockyard_jobs_queue_depth", help: "Jobs waiting to run (pending or failed), all companies.")
        reconnects = registry.makeCounter(name: "stockyard_jobs_listen_reconnects_total",
                                          help: "Times the runner's LISTEN connection was lost and opened again.")
    }

    func claimed(_ kind: String) { counter("stockyard_jobs_claimed_total", kind, "Jobs claimed by this runner.").increment() }
    func succeeded(_ kind: String) { counter("stockyard_jobs_succeeded_total", kind, "Jobs that finished.").increment() }
    func retried(_ kind: String) { counter("stockyard_jobs_retried_total", kind, "Failed attempts that will be retried.").increment() }
    func dead(_ kind: String) { counter("stockyard_jobs_dead_total", kind, "Jobs given up on.").increment() }

    /// Seconds from when the job was due (enqueued, or its retry time) to when it started.
    func started(_ kind: String, waited seconds: Double) {
        registry.makeDurationHistogram(
            name: "stockyard_job_start_latency_seconds", labels: [("kind", kind)],
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                      .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60)],
            help: "Wait from a job's due time (enqueue or retry) to its start."
        ).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    private func counter(_ name: String, _ kind: String, _ help: String) -> Counter {
        registry.makeCounter(name: name, labels: [("kind", kind)], help: help)
    }
}
