/// The one table (or the JSON lines) of `ops/bench inventory`.
struct InventoryBenchReport {
    let shops: Int
    let locations: Int
    let products: Int
    let rate: Int
    let duration: Int
    let warmup: Int
    let jobConcurrency: Int
    let jobPoolSize: Int
    /// Commit → storefront, milliseconds, sorted.
    let latency: [Double]
    let hotChanges: Int
    let hotCalls: Int
    let ingest: InventoryBench.Ingest

    var p50: Double { Percentile.of(latency, 0.5) ?? .nan }
    var p99: Double { Percentile.of(latency, 0.99) ?? .nan }
    var callsPer1000: Double { Double(hotCalls) * 1000 / Double(max(hotChanges, 1)) }
    var lost: Int { ingest.unique - ingest.stored }
    var doubled: Int { max(0, ingest.accepted - ingest.unique) }

    func json() -> String {
        [figure("latency_p50_ms", p50), figure("latency_p99_ms", p99), figure("calls_per_1000_hot_changes", callsPer1000),
         figure("webhook_ingest_per_s", ingest.perSecond), figure("webhooks_lost", Double(lost)), figure("webhooks_doubled", Double(doubled))]
            .joined(separator: "\n")
    }

    private func figure(_ metric: String, _ value: Double) -> String {
        #"{"bench": "inventory", "system": "stockyard", "metric": "\#(metric)", "value": \#(Format.number(value, decimals: 2))}"#
    }

    func table() -> String {
        func verdict(_ ok: Bool) -> String { ok ? "meets" : "MISSES" }
        let rows: [[String]] = [
            ["figure", "value", "target", "verdict"],
            ["change → storefront p50", Format.number(p50, decimals: 2) + " ms", "≤ 5 ms", verdict(p50 <= 5)],
            ["change → storefront p99", Format.number(p99, decimals: 2) + " ms", "≤ 25 ms", verdict(p99 <= 25)],
            ["  (changes measured)", "\(latency.count) of \(rate * duration)", "", ""],
            ["storefront calls per 1,000 hot-SKU changes", Format.number(callsPer1000, decimals: 1), "≤ 20", verdict(callsPer1000 <= 20)],
            ["webhook ingest", Format.number(ingest.perSecond, decimals: 0) + " deliveries/s", "≥ 3,000/s", verdict(ingest.perSecond >= 3000)],
            ["  accepted / replays answered duplicate / failed", "\(ingest.accepted) / \(ingest.duplicates) / \(ingest.failed)", "", ""],
            ["  events lost / doubled", "\(lost) / \(doubled)", "0 / 0", verdict(lost == 0 && doubled == 0 && ingest.failed == 0)],
        ]
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = ["stockyard-bench inventory: \(shops) shops × \(locations) locations × \(products) products; \(rate) changes/s for " +
                     "\(duration) s after \(warmup) s of warm-up; simulator, API and runner (\(jobConcurrency) jobs, \(jobPoolSize) connections of its own) in one process; ingest with processing paused", ""]
        for row in rows {
            lines.append(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        lines.append("reproduce: ops/bench inventory")
        return lines.joined(separator: "\n")
    }
}
