import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import StockyardAPI
import StockyardCore
import StockyardStore
import StockyardSync
import StorefrontSimulator
import Synchronization

/// `stockyard-bench inventory` (issue 6): the storefront simulator, Stockyard's API (for webhooks) and a job runner
/// with the storefront handlers, in this process, against the bench database. (a) A quant change's commit → the
/// simulator holding the new level, p50/p99, at a steady rate across `shops` × `locations`; (b) storefront calls
/// for 1,000 changes to one hot SKU; (c) signed webhook deliveries accepted per second (processing paused), with
/// every event stored once.
struct InventoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inventory",
                                                    abstract: "Inventory sync latency, hot-SKU coalescing and webhook ingest.")

    @Option(help: "The app-role database URL.") var databaseURL: String
    @Option(help: "The owner-role database URL (to create the bench's companies).") var ownerDatabaseURL: String
    @Option(help: "Shops, one company each.") var shops = 10
    @Option(help: "Storefront locations per shop, each mapped to its own warehouse location.") var locations = 5
    @Option(help: "Linked products per shop.") var products = 300
    @Option(help: "Quant changes per second for the latency measurement.") var rate = 200
    @Option(help: "Seconds of the latency measurement.") var duration = 20
    @Option(help: "Seconds of the same load before the measurement, not counted: the first changes meet cold connections and plans.")
    var warmup = 2
    @Option(help: "Changes to the hot SKU.") var hotChanges = 1000
    @Option(help: "Webhook deliveries (10% more are replays of them).") var webhooks = 20_000
    @Option(help: "Connections delivering webhooks.") var connections = 16
    @Option(help: "Jobs the runner runs at once (STOCKYARD_JOB_CONCURRENCY).") var jobConcurrency = 64
    @Option(help: "The runner's own connections (STOCKYARD_JOB_POOL_SIZE); the API and the bench's writers share 24 others.")
    var jobPoolSize = StockyardConfig.defaults.jobs.poolSize
    @Option(help: "Port for the simulator.") var simulatorPort = 18190
    @Option(help: "Port for Stockyard's API.") var apiPort = 18191
    @Option(help: "Write each measured change as a line of seconds since the first commit and latency in ms (to see when slow ones happen).")
    var samplesFile: String?
    @Flag(help: "One JSON object per figure instead of the table.") var json = false

    func run() async throws {
        guard rate > 0, duration > 0, warmup >= 0 else { throw ValidationError("--rate and --duration must be positive, --warmup not negative") }
        var logger = Logger(label: "stockyard.bench")
        logger.logLevel = .warning
        let appURL = try DatabaseURL(parsing: databaseURL)
        let secretKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let secrets = try SecretBox(base64Key: secretKey)
        let simulator = StorefrontSimulator()
        let simulatorURL = "http://127.0.0.1:\(simulatorPort)", apiURL = "http://127.0.0.1:\(apiPort)"
        let report = try await Database.withPool(url: try DatabaseURL(parsing: ownerDatabaseURL), poolSize: 2, logger: logger) { owner in
            try await Database.withPool(url: appURL, poolSize: 24, logger: logger) { app in
                try await Database.withPool(url: appURL, poolSize: jobPoolSize, logger: logger) { jobs in
                    var config = StockyardConfig.defaults
                    config.databaseURL = appURL
                    config.httpPort = apiPort
                    config.secretKey = secretKey
                    let api = buildApplication(APIDependencies(config: config, database: app, registry: PrometheusCollectorRegistry(),
                                                               expectedMigrations: []), services: [], logger: logger)
                    let servers = Task {
                        try await withThrowingDiscardingTaskGroup { group in
                            group.addTask { try await simulator.application(port: simulatorPort).runService(gracefulShutdownSignals: []) }
                            group.addTask { try await api.runService(gracefulShutdownSignals: []) }
                        }
                    }
                    defer { servers.cancel() }
                    try await Self.waitForServer("\(simulatorURL)/_simulator/shops/none/levels")
                    try await Self.waitForServer("\(apiURL)/health")
                    FileHandle.standardError.write(Data("stockyard-bench inventory: setting up \(shops) shops × \(locations) locations × \(products) products\n".utf8))
                    let fixture = try await InventoryBenchFixture.make(shops: shops, locations: locations, products: products, simulatorURL: simulatorURL,
                                                                       webhookURL: "\(apiURL)/v1/webhooks/shopify", owner: owner, app: app,
                                                                       secrets: secrets, logger: logger)
                    let runner = JobRunner(settings: .init(concurrency: jobConcurrency, pollInterval: .milliseconds(500),
                                                           kinds: [InventoryPushHandler.kind, WebhookEventHandler.kind]),
                                           database: jobs, listenURL: appURL, handlers: .stockyard(secrets: secrets), metrics: nil, logger: logger)
                    let running = Task { try await runner.run() }
                    defer { running.cancel() }
                    let opening = try await settle(owner)
                    // Settle the bulk load as a DBA would (pgbench does too): the first publish created every level, and plans
                    // cached while the tables were new would otherwise stay until autovacuum's first analyze, up to a minute on.
                    _ = try await owner.withConnection { connection in
                        try await connection.query("""
                            VACUUM (ANALYZE) stockyard.inventory_levels, stockyard.storefront_variants, stockyard.storefront_locations,
                                stockyard.webhook_events, stockyard.sync_jobs
                            """, logger: logger)
                    }
                    // Informational: with a bigger --products it shows whether a push costs more in a bigger catalogue.
                    FileHandle.standardError.write(Data(("stockyard-bench inventory: the first publish of every level: \(opening.jobs) jobs in "
                        + "\(Format.number(opening.seconds, decimals: 1)) s (\(Format.number(Double(opening.jobs) / max(opening.seconds, 0.001), decimals: 0))/s)\n").utf8))
                    FileHandle.standardError.write(Data("stockyard-bench inventory: latency at \(rate) changes/s for \(duration) s after \(warmup) s of warm-up\n".utf8))
                    let latency = try await measureLatency(fixture, simulator: simulator, app: app, logger: logger)
                    try await settle(owner)
                    let calls = try await measureHotSKU(fixture, simulator: simulator, simulatorURL: simulatorURL, app: app, owner: owner, logger: logger)
                    running.cancel()
                    try await Task.sleep(for: .seconds(1))
                    FileHandle.standardError.write(Data("stockyard-bench inventory: \(webhooks) webhook deliveries (+10% replays), processing paused\n".utf8))
                    let ingest = try await measureIngest(fixture, apiURL: apiURL, owner: owner)
                    return InventoryBenchReport(shops: shops, locations: locations, products: products, rate: rate, duration: duration,
                                                warmup: warmup, jobConcurrency: jobConcurrency, jobPoolSize: jobPoolSize, latency: latency, hotChanges: hotChanges, hotCalls: calls, ingest: ingest)
                }
            }
        }
        print(json ? report.json() : report.table())
    }

    static func waitForServer(_ url: String) async throws {
        for _ in 0..<200 {
            if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(1))) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchFailure("\(url) did not answer")
    }

    /// Waits until no storefront job is waiting or running, however long the backlog takes to drain, as long as it
    /// drains: 30 s without one job fewer is a failure. Returns the jobs seen at the start and the seconds taken.
    @discardableResult
    private func settle(_ owner: Database) async throws -> (jobs: Int, seconds: Double) {
        let start = ContinuousClock.now
        var first: Int?, fewest = Int.max, lastProgress = start
        while true {
            let busy = try await owner.withConnection { connection in
                try await connection.query("""
                    SELECT count(*)::int FROM stockyard.sync_jobs
                    WHERE kind IN ('inventory.push', 'webhook.process') AND state IN ('pending', 'failed', 'running')
                    """, logger: Logger(label: "bench")).collect()[0].decode(Int.self)
            }
            if first == nil { first = busy }
            if busy == 0 { return (first ?? 0, start.duration(to: .now).inSeconds) }
            if busy < fewest { fewest = busy; lastProgress = .now }
            if lastProgress.duration(to: .now) > .seconds(30) {
                throw BenchFailure("the storefront jobs stopped draining: \(busy) still waiting or running after 30 s without progress")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    struct LevelKey: Hashable, Sendable {
        let domain: String
        let item: Int64
        let location: Int64
    }


    /// Commit → the simulator's level, for changes at a steady `rate` to random (shop, product, location) levels.
    /// Each change counts a new quantity; a level changed again before the first arrived keeps only the newer.
    private func measureLatency(_ fixture: InventoryBenchFixture, simulator: StorefrontSimulator, app: Database,
                                logger: Logger) async throws -> [Double] {
        let ledger = LatencyLedger()
        simulator.observeLevelChanges { change in
            ledger.arrived(LevelKey(domain: change.domain, item: change.inventoryItemID, location: change.locationID), change.available)
        }
        let quants = QuantRepository(database: app)
        let interval = Duration.seconds(1) / rate
        var next = ContinuousClock.now
        var last: [LevelKey: Int] = [:]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<(rate * (warmup + duration)) {
                let measured = index >= rate * warmup
                try await Task.sleep(until: next)
                next += interval
                let shop = fixture.shops.randomElement()!
                let (i, k) = (Int.random(in: 0..<shop.products.count), Int.random(in: 0..<shop.locations.count))
                let key = LevelKey(domain: shop.domain, item: InventoryBenchFixture.item(i), location: Int64(k + 1))
                var value = Int.random(in: 1...1000)
                if value == last[key] { value += 1 }
                last[key] = value
                let chosen = value
                // A warm-up change still replaces the key's expectation, so a late arrival of it is not taken for a measured one.
                ledger.expect(key, measured ? chosen : nil)
                group.addTask {
                    _ = try await quants.adjust(product: shop.products[i], location: shop.locations[k], adjustment: .counted(Decimal(chosen)),
                                                company: shop.company, logger: logger)
                    if measured { ledger.committed(key, chosen) }
                }
            }
            try await group.waitForAll()
        }
        try await Task.sleep(for: .seconds(2))
        if let samplesFile {
            let lines = ledger.timeline.map { String(format: "%.3f %.3f\n", $0.at, $0.milliseconds) }.joined()
            try Data(lines.utf8).write(to: URL(fileURLWithPath: samplesFile))
        }
        return ledger.sortedSamples
    }

    /// Storefront calls for `hotChanges` changes to one SKU at one storefront location, eight writers at a time, each
    /// on its own bin under the mapped location (so they do not queue behind one quant's row lock).
    private func measureHotSKU(_ fixture: InventoryBenchFixture, simulator: StorefrontSimulator, simulatorURL: String, app: Database,
                               owner: Database, logger: Logger) async throws -> Int {
        let shop = fixture.shops[0]
        let before = try await Self.calls(simulatorURL, shop.domain)
        let quants = QuantRepository(database: app)
        let start = try await quants.list(company: shop.company, filter: QuantFilter(productId: shop.products[0], childOf: shop.locations[0]),
                                          page: PageRequest(), logger: logger).items.map(\.quantity).reduce(0, +)
        let final = Int(truncating: (start + Decimal(hotChanges)) as NSDecimalNumber)
        var bins: [Int64] = []
        for index in 0..<8 {
            bins.append(try await LocationRepository(database: app).create(
                LocationDraft(name: "Hot bin \(index)", locationId: shop.locations[0], usage: .internal, barcode: nil, active: true),
                company: shop.company, logger: logger).id)
        }
        let arrived = Atomic<Bool>(false)
        simulator.observeLevelChanges { change in
            if change.domain == shop.domain && change.inventoryItemID == InventoryBenchFixture.item(0) && change.locationID == 1
                && change.available == final { arrived.store(true, ordering: .relaxed) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (writer, bin) in bins.enumerated() {
                group.addTask {
                    for _ in stride(from: writer, to: hotChanges, by: 8) {
                        _ = try await quants.adjust(product: shop.products[0], location: bin, adjustment: .delta(1),
                                                    company: shop.company, logger: logger)
                    }
                }
            }
            try await group.waitForAll()
        }
        for _ in 0..<600 where !arrived.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(50)) }
        guard arrived.load(ordering: .relaxed) else { throw BenchFailure("the hot SKU's final level never reached the storefront") }
        try await settle(owner)
        return try await Self.calls(simulatorURL, shop.domain) - before
    }

    static func calls(_ simulatorURL: String, _ domain: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "\(simulatorURL)/_simulator/shops/\(domain)/stats"),
                                                           timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 16)
        return (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["calls"] as? Int ?? 0
    }

    struct Ingest: Sendable {
        let perSecond: Double
        let accepted: Int
        let duplicates: Int
        let failed: Int
        let stored: Int
        let unique: Int
    }

    /// Signed deliveries over `connections` keep-alive connections: accepted per second, then what the table holds.
    private func measureIngest(_ fixture: InventoryBenchFixture, apiURL: String, owner: Database) async throws -> Ingest {
        let run = UUID().uuidString.prefix(8)
        var deliveries: [(domain: String, body: String, event: String)] = (0..<webhooks).map { n in
            let shop = fixture.shops[n % fixture.shops.count]
            let body = #"{"inventory_item_id":\#(InventoryBenchFixture.item(n % products)),"location_id":\#(n % locations + 1),"available":\#(n % 97),"updated_at":"2026-11-25T12:00:00Z"}"#
            return (shop.domain, body, "bench-\(run)-\(n)")
        }
        deliveries += (0..<(webhooks / 10)).map { _ in deliveries[Int.random(in: 0..<webhooks)] }
        let heads: [(HTTPRequestHead, ByteBuffer)] = deliveries.map { delivery in
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/webhooks/shopify")
            head.headers.add(name: "Host", value: "127.0.0.1")
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(delivery.body.utf8.count))
            head.headers.add(name: "X-Shopify-Topic", value: "inventory_levels/update")
            head.headers.add(name: "X-Shopify-Shop-Domain", value: delivery.domain)
            head.headers.add(name: "X-Shopify-Event-Id", value: delivery.event)
            head.headers.add(name: "X-Shopify-Hmac-Sha256", value: WebhookSignature.sign(Data(delivery.body.utf8), secret: InventoryBenchFixture.webhookSecret))
            return (head, ByteBuffer(string: delivery.body))
        }
        let endpoint = try Endpoint(baseURL: apiURL)
        let tally = IngestTally()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    try await HTTPConnection.connect(to: endpoint).executeThenClose { inbound, outbound in
                        var exchange = HTTPConnection.Exchange(inbound: inbound, outbound: outbound)
                        while true {
                            let index = tally.next.add(1, ordering: .relaxed).oldValue
                            guard index < heads.count else { return }
                            let (response, body) = try await exchange.send(heads[index].0, body: heads[index].1)
                            if response.status != 200 { tally.failed.add(1, ordering: .relaxed) }
                            else if String(buffer: body).contains("duplicate") { tally.duplicates.add(1, ordering: .relaxed) }
                            else { tally.accepted.add(1, ordering: .relaxed) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = start.duration(to: .now).inSeconds
        let stored = try await owner.withConnection { connection in
            try await connection.query("SELECT count(*)::int FROM stockyard.webhook_events WHERE event_key LIKE \("bench-\(run)-%")",
                                       logger: Logger(label: "bench")).collect()[0].decode(Int.self)
        }
        return Ingest(perSecond: Double(heads.count) / seconds, accepted: tally.accepted.load(ordering: .relaxed),
                      duplicates: tally.duplicates.load(ordering: .relaxed), failed: tally.failed.load(ordering: .relaxed), stored: stored,
                      unique: Set(deliveries.map(\.event)).count)
    }
}

/// The ingest's shared counters: the next delivery to send, and the answers.
final class IngestTally: Sendable {
    let next = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let duplicates = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}

/// Per level, the value a change expects at the storefront, its commit time and its arrival time; a sample once
/// both are known (the arrival can beat the commit's answer). A newer change to a level replaces the older.
final class LatencyLedger: Sendable {
    private struct Pending {
        let value: Int
        var committedAt: ContinuousClock.Instant?
        var arrivedAt: ContinuousClock.Instant?
    }

    private let pending = Mutex<[InventoryBench.LevelKey: Pending]>([:])
    private let samples = Mutex<[(committedAt: ContinuousClock.Instant, milliseconds: Double)]>([])

    /// The value the key should reach next; nil when that change is not measured.
    func expect(_ key: InventoryBench.LevelKey, _ value: Int?) { pending.withLock { $0[key] = value.map { Pending(value: $0) } } }

    func committed(_ key: InventoryBench.LevelKey, _ value: Int) { settle(key, value) { $0.committedAt = .now } }

    func arrived(_ key: InventoryBench.LevelKey, _ value: Int) { settle(key, value) { if $0.arrivedAt == nil { $0.arrivedAt = .now } } }

    var sortedSamples: [Double] { samples.withLock { $0 }.map(\.milliseconds).sorted() }

    /// Each sample as (seconds after the first commit, latency in ms), in commit order.
    var timeline: [(at: Double, milliseconds: Double)] {
        let all = samples.withLock { $0 }.sorted { $0.committedAt < $1.committedAt }
        guard let first = all.first?.committedAt else { return [] }
        return all.map { (first.duration(to: $0.committedAt).inSeconds, $0.milliseconds) }
    }

    private func settle(_ key: InventoryBench.LevelKey, _ value: Int, _ mark: (inout Pending) -> Void) {
        let done: Pending? = pending.withLock { table in
            guard var entry = table[key], entry.value == value else { return nil }
            mark(&entry)
            guard entry.committedAt != nil, entry.arrivedAt != nil else { table[key] = entry; return nil }
            table[key] = nil
            return entry
        }
        if let done, let committed = done.committedAt, let arrived = done.arrivedAt {
            samples.withLock { $0.append((committed, max(0, committed.duration(to: arrived).inSeconds * 1000))) }
        }
    }
}
