import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import StockyardCore
import StockyardStore

/// `stockyard-bench stock`: single-line transfers created, reserved and validated through the API by `clients`
/// closed-loop clients, on catalogues of growing size (each its own company). Reports transfers/s and latency per
/// size, and how throughput changes from the smallest to the largest catalogue (target: at most 20% lower).
struct StockBench: AsyncParsableCommand, ClientThreading {
    static let configuration = CommandConfiguration(
        commandName: "stock",
        abstract: "Create + reserve + validate single-line transfers; transfers/s and p99 per catalogue size.")

    @Option(help: "The server's base URL.") var baseURL = "http://127.0.0.1:8080"
    @Option(help: "The owner-role database URL, to seed the catalogues.") var ownerDatabaseURL: String
    @Option(help: "Catalogue sizes (products), comma-separated.") var products = "1000,100000"
    @Option(help: "Bins under WH/Stock; every product has a quant in each.") var locations = 20
    @Option(help: "Concurrent clients, each on its own keep-alive connection.") var clients = 8
    @Option(help: "Seconds of measured load per catalogue.") var duration = 20
    @Option(help: "Seconds of unmeasured load before each measurement.") var warmup = 3
    @Option(help: "Event-loop threads for the clients.") var clientThreads = 1
    @Flag(help: "Print the results as JSON instead of the table.") var json = false

    var sizes: [Int] { products.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--products must list positive sizes") }
        guard locations > 0, clients > 0, duration > 0, warmup >= 0 else { throw ValidationError("counts must be positive") }
    }

    func run() async throws {
        Subprocess.forwardTerminationSignals()
        let endpoint = try Endpoint(baseURL: baseURL)
        var logger = Logger(label: "stockyard.bench")
        logger.logLevel = .warning
        let url = try DatabaseURL(parsing: ownerDatabaseURL)
        let owner = Database(url: url, poolSize: 2, logger: logger)
        var results: [StockRunResult] = []
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await owner.pool.run() }
            for size in sizes {
                progress("seeding \(size) products × \(locations) bins")
                let seedStart = ContinuousClock.now
                let catalog = try await StockCatalog.seed(products: size, locations: locations, owner: owner, logger: logger)
                let seedSeconds = seedStart.duration(to: .now).inSeconds
                progress("seeded in \(Format.number(seedSeconds, decimals: 1)) s; \(warmup) s warm-up + \(duration) s with \(clients) clients")
                _ = try await TransferLoad.run(catalog, endpoint: endpoint, clients: clients, seconds: warmup)
                let measured = try await TransferLoad.run(catalog, endpoint: endpoint, clients: clients, seconds: duration)
                results.append(StockRunResult(products: size, quants: size * locations, seedSeconds: seedSeconds, load: measured))
            }
            group.cancelAll()
        }
        let report = StockBenchReport(baseURL: endpoint.description, clients: clients, durationSeconds: duration,
                                      warmupSeconds: warmup, locations: locations, runs: results,
                                      machineCores: ProcessInfo.processInfo.activeProcessorCount)
        print(json ? try report.json() : report.table())
        if results.contains(where: { $0.load.failures > 0 }) { throw ExitCode(1) }
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("stockyard-bench stock: \(message)\n".utf8))
    }
}

/// The closed loop: each client creates a one-line delivery of a random product, reserves it and validates it.
enum TransferLoad {
    struct Measurement: Sendable, Codable {
        var transfers = 0
        var failures = 0
        var failureDetail: String?
        var seconds = 0.0
        var transferLatencies: [UInt64] = []
        var reserveValidateLatencies: [UInt64] = []

        var transfersPerSecond: Double { seconds > 0 ? Double(transfers) / seconds : 0 }

        func percentile(_ samples: [UInt64], _ p: Double) -> Double {
            Percentile.of(samples.sorted(), p).map { Double($0) / 1e6 } ?? 0
        }
    }

    struct Created: Decodable { let id: Int64 }

    static func run(_ catalog: StockCatalog, endpoint: Endpoint, clients: Int, seconds: Int) async throws -> Measurement {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        var total = Measurement()
        try await withThrowingTaskGroup(of: Measurement.self) { group in
            for _ in 0..<clients {
                group.addTask { try await drive(catalog, endpoint: endpoint, until: deadline) }
            }
            for try await part in group {
                total.transfers += part.transfers
                total.failures += part.failures
                total.failureDetail = total.failureDetail ?? part.failureDetail
                total.transferLatencies += part.transferLatencies
                total.reserveValidateLatencies += part.reserveValidateLatencies
            }
        }
        total.seconds = start.duration(to: clock.now).inSeconds
        return total
    }

    private static func drive(_ catalog: StockCatalog, endpoint: Endpoint, until deadline: ContinuousClock.Instant) async throws -> Measurement {
        let clock = ContinuousClock()
        var measurement = Measurement()
        try await HTTPConnection.connect(to: endpoint).executeThenClose { inbound, outbound in
            var exchange = HTTPConnection.Exchange(inbound: inbound, outbound: outbound)
            func post(_ path: String, _ body: String?) async throws -> (UInt, ByteBuffer) {
                var headers = HTTPHeaders([("Host", endpoint.authority), ("Authorization", "Bearer \(catalog.token)")])
                let buffer = body.map { ByteBuffer(string: $0) }
                if let buffer {
                    headers.add(name: "Content-Type", value: "application/json")
                    headers.add(name: "Content-Length", value: String(buffer.readableBytes))
                } else {
                    headers.add(name: "Content-Length", value: "0")
                }
                let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: endpoint.pathPrefix + path, headers: headers)
                let (response, received) = try await exchange.send(head, body: buffer)
                return (response.status, received)
            }
            func fail(_ step: String, _ status: UInt, _ body: ByteBuffer) {
                measurement.failures += 1
                if measurement.failureDetail == nil { measurement.failureDetail = "\(step): HTTP \(status) \(String(buffer: body).prefix(300))" }
            }
            while clock.now < deadline {
                let product = catalog.productIDs.randomElement()!
                let began = clock.now
                let (created, body) = try await post("/v1/pickings", #"""
                    {"picking_type_id":\#(catalog.deliveryTypeID),"move_ids":[{"product_id":\#(product),"product_uom_qty":1}]}
                    """#)
                guard created == 201, let picking = try? JSONDecoder().decode(Created.self, from: Data(buffer: body)) else {
                    fail("create", created, body); continue
                }
                let reserving = clock.now
                let (reserved, reserveBody) = try await post("/v1/pickings/\(picking.id)/reserve", nil)
                guard reserved == 200 else { fail("reserve", reserved, reserveBody); continue }
                let (validated, validateBody) = try await post("/v1/pickings/\(picking.id)/validate", nil)
                guard validated == 200 else { fail("validate", validated, validateBody); continue }
                let done = clock.now
                measurement.transfers += 1
                measurement.transferLatencies.append(ClosedLoopClient.nanoseconds(began.duration(to: done)))
                measurement.reserveValidateLatencies.append(ClosedLoopClient.nanoseconds(reserving.duration(to: done)))
            }
        }
        return measurement
    }
}

struct StockRunResult: Sendable, Codable {
    let products: Int
    let quants: Int
    let seedSeconds: Double
    let load: TransferLoad.Measurement
}

/// The table (or JSON) `stockyard-bench stock` prints.
struct StockBenchReport: Sendable {
    let baseURL: String
    let clients: Int
    let durationSeconds: Int
    let warmupSeconds: Int
    let locations: Int
    let runs: [StockRunResult]
    let machineCores: Int

    /// Throughput lost from the smallest catalogue to the largest, in percent (negative: it got faster).
    var degradationPercent: Double? {
        guard let first = runs.first?.load.transfersPerSecond, let last = runs.last?.load.transfersPerSecond,
              runs.count > 1, first > 0 else { return nil }
        return (first - last) / first * 100
    }

    /// One JSON object per figure, the shape every `ops/bench` suite prints with `--json`.
    func json() throws -> String {
        struct Figure: Encodable {
            let bench = "stock"
            let system = "stockyard"
            let metric: String
            let value: Double
            let products: Int?
        }
        var figures: [Figure] = []
        for run in runs {
            let load = run.load
            figures += [
                Figure(metric: "transfers_per_s", value: load.transfersPerSecond, products: run.products),
                Figure(metric: "latency_p50_ms", value: load.percentile(load.transferLatencies, 0.5), products: run.products),
                Figure(metric: "latency_p99_ms", value: load.percentile(load.transferLatencies, 0.99), products: run.products),
                Figure(metric: "reserve_validate_p99_ms", value: load.percentile(load.reserveValidateLatencies, 0.99), products: run.products),
                Figure(metric: "failures", value: Double(load.failures), products: run.products),
            ]
        }
        if let degradation = degradationPercent {
            figures.append(Figure(metric: "throughput_change_percent", value: -degradation, products: nil))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try figures.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n")
    }

    func table() -> String {
        var lines = [
            "stockyard-bench stock: \(baseURL), \(machineCores) cores, \(clients) closed-loop clients, \(warmupSeconds) s warm-up + \(durationSeconds) s per catalogue",
            "  a transfer = POST /v1/pickings (one line, random product) + POST …/reserve + POST …/validate; \(locations) bins, every product in each",
            "",
        ]
        let header = ["products", "quants", "transfers/s", "transfer p50 ms", "transfer p99 ms", "reserve+validate p50 ms",
                      "reserve+validate p99 ms", "failures"]
        var rows = [header]
        for run in runs {
            let load = run.load
            rows.append([String(run.products), String(run.quants), Format.number(load.transfersPerSecond, decimals: 1),
                         Format.number(load.percentile(load.transferLatencies, 0.5), decimals: 2),
                         Format.number(load.percentile(load.transferLatencies, 0.99), decimals: 2),
                         Format.number(load.percentile(load.reserveValidateLatencies, 0.5), decimals: 2),
                         Format.number(load.percentile(load.reserveValidateLatencies, 0.99), decimals: 2),
                         load.failures == 0 ? "0" : "\(load.failures) !! \(load.failureDetail ?? "")"])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { index, cell in
                String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  "))
        }
        if let degradation = degradationPercent {
            let verdict = degradation <= 20 ? "meets" : "MISSES"
            lines.append("")
            lines.append("throughput change \(runs.first!.products) → \(runs.last!.products) products: " +
                         "\(Format.number(-degradation, decimals: 1))% (target: no worse than −20%): \(verdict)")
        }
        lines.append("reproduce: ops/bench stock")
        return lines.joined(separator: "\n")
    }
}
