import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore

/// `stockyard-bench checkout`: checkout sync on a wave of `picks` picks feeding `packs` packing transfers with
/// `moves` moves (one line each), in one company among `companies` (the others hold a tenth of the picks, so their
/// groups are a tenth the size).
/// Times the plan and the sync of the current group from random picks, through the repository the API uses, and,
/// with `--statement-log`, counts the SQL statements of one sync on a large group and on a small one from the
/// server's log (`log_statement = all` for the probe role `ops/bench` creates).
struct CheckoutBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Checkout-sync plan and sync on a wave of picks feeding packing transfers.")

    @Option(help: "The app-role database URL.") var databaseURL: String
    @Option(help: "The owner-role database URL (seeding).") var ownerDatabaseURL: String
    @Option(help: "Companies; the others hold a wave a tenth the size.") var companies = 100
    @Option(help: "Picks in the measured wave.") var picks = 500
    @Option(help: "Packing transfers the wave feeds.") var packs = 50
    @Option(help: "Moves in the measured wave (a multiple of picks).") var moves = 10_000
    @Option(help: "Plans and syncs measured.") var samples = 200
    @Option(help: "The server log to count statements in (needs --probe-database-url).") var statementLog: String?
    @Option(help: "A URL of a role whose statements the server logs (log_statement = all).") var probeDatabaseURL: String?
    @Flag(help: "One JSON object per figure instead of the table.") var json = false

    func validate() throws {
        guard companies > 0, picks > 0, packs > 0, samples > 0, moves % picks == 0, moves >= packs else {
            throw ValidationError("need companies, picks, packs, samples > 0 and moves a multiple of picks, at least packs")
        }
    }

    func run() async throws {
        var logger = Logger(label: "stockyard.bench")
        logger.logLevel = .warning
        let ownerURL = try DatabaseURL(parsing: ownerDatabaseURL)
        progress("seeding \(companies) companies: one wave of \(picks) picks → \(packs) packs, \(moves) moves; the others a tenth of that")
        let seedStart = ContinuousClock.now
        let (measured, small) = try await Database.withPool(url: ownerURL, poolSize: 2, logger: logger) { owner in
            var measured: Wave?
            var small: Wave?
            for index in 0..<companies {
                let big = index == companies / 2
                let wave = try await Wave.seed(owner: owner, name: "Checkout bench \(index)", picks: big ? picks : max(1, picks / 10),
                                               packs: packs, movesPerPick: moves / picks, logger: logger)
                if big { measured = wave } else if small == nil { small = wave }
            }
            return (measured!, small ?? measured!)
        }
        progress("seeded in \(Format.number(seedStart.duration(to: .now).inSeconds, decimals: 1)) s; \(samples) plans and syncs")

        let appURL = try DatabaseURL(parsing: databaseURL)
        var (planTimes, syncTimes): ([UInt64], [UInt64]) = ([], [])
        var groupSize = 0
        try await Database.withPool(url: appURL, poolSize: 2, logger: logger) { app in
            let repository = CheckoutSyncRepository(database: app)
            for sample in 0..<samples {
                let pick = measured.picks.randomElement()!
                var start = ContinuousClock.now
                let plan = try await repository.plan(picking: pick, handled: [], company: measured.company, logger: logger)!
                planTimes.append(UInt64(start.duration(to: .now).inSeconds * 1e9))
                let group = plan.current!
                groupSize = max(groupSize, group.moves.count)
                start = ContinuousClock.now
                _ = try await repository.sync(picking: pick, destPicking: group.destPickingId, location: measured.bins[sample % 2],
                                              handled: [], tokenID: nil, company: measured.company, logger: logger)
                syncTimes.append(UInt64(start.duration(to: .now).inSeconds * 1e9))
            }
        }
        var statements: [(moves: Int, count: Int)] = []
        if let statementLog, let probeDatabaseURL {
            let probeURL = try DatabaseURL(parsing: probeDatabaseURL)
            for wave in [measured, small] {
                statements.append(try await countStatements(wave, log: statementLog, url: probeURL, logger: logger))
            }
        }
        let report = CheckoutBenchReport(companies: companies, picks: picks, packs: packs, moves: moves, samples: samples,
                                         groupSize: groupSize, plan: planTimes.sorted(), sync: syncTimes.sorted(), statements: statements)
        print(json ? report.json() : report.table())
    }

    /// The statements one sync of the first pick's current group sends, read from the server's log.
    private func countStatements(_ wave: Wave, log: String, url: DatabaseURL, logger: Logger) async throws -> (moves: Int, count: Int) {
        try await Database.withPool(url: url, poolSize: 1, logger: logger) { probe in
            let repository = CheckoutSyncRepository(database: probe)
            let pick = wave.picks[0]
            let plan = try await repository.plan(picking: pick, handled: [], company: wave.company, logger: logger)!
            let group = plan.current!
            let before = try FileManager.default.attributesOfItem(atPath: log)[.size] as? UInt64 ?? 0
            // To the other bin than the group has, so the sync really writes.
            let target = group.moves.first?.locationDestId == wave.bins[0] ? wave.bins[1] : wave.bins[0]
            _ = try await repository.sync(picking: pick, destPicking: group.destPickingId, location: target, handled: [],
                                          tokenID: nil, company: wave.company, logger: logger)
            try await Task.sleep(for: .milliseconds(200))   // the server writes its log asynchronously
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: log))
            defer { try? handle.close() }
            try handle.seek(toOffset: before)
            let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
            let count = text.split(separator: "\n").filter { $0.contains("LOG:  execute ") || $0.contains("LOG:  statement: ") }.count
            return (group.moves.count, count)
        }
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("stockyard-bench checkout: \(message)\n".utf8))
    }
}

/// One company's wave: picks in PICK transfers whose moves each feed one pack move, spread over the packing
/// transfers (move k of pick j feeds pack (j·movesPerPick + k) mod packs), every pick move reserved with one line.
struct Wave {
    let company: Int64
    let picks: [Int64]
    /// Two bins under the packing zone.
    let bins: [Int64]

    static func seed(owner: Database, name: String, picks: Int, packs: Int, movesPerPick: Int, logger: Logger) async throws -> Wave {
        let company = try await CompanyRepository(database: owner).create(name: name, logger: logger).id
        let wh = try await WarehouseRepository(database: owner).create(name: "WH", code: "WH", reception: .oneStep,
                                                                      delivery: .pickPackShip, company: company, logger: logger)
        return try await owner.withCompany(company, logger: logger) { connection in
            try await connection.query("""
                UPDATE stockyard.stock_picking_types SET checkout_sync = true WHERE company_id = \(company) AND id = \(wh.packTypeId)
                """, logger: logger)
            let bins = try await connection.query("""
                INSERT INTO stockyard.stock_locations (company_id, name, location_id, usage)
                SELECT \(company), 'Packing ' || g, \(wh.whPackStockLocId), 'internal' FROM generate_series(1, 2) g RETURNING id
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            let product = try await connection.query("""
                INSERT INTO stockyard.products (company_id, name, default_code) VALUES (\(company), 'Bench item', 'BENCH') RETURNING id
                """, logger: logger).collect()[0].decode(Int64.self)
            let pickIDs = try await connection.query("""
                INSERT INTO stockyard.stock_pickings (company_id, name, picking_type_id, location_id, location_dest_id, state)
                SELECT \(company), 'WH/PICK/B' || lpad(g::text, 5, '0'), \(wh.pickTypeId), \(wh.lotStockId), \(wh.whPackStockLocId), 'assigned'
                FROM generate_series(1, \(picks)) g ORDER BY g RETURNING id
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            let packIDs = try await connection.query("""
                INSERT INTO stockyard.stock_pickings (company_id, name, picking_type_id, location_id, location_dest_id, state)
                SELECT \(company), 'WH/PACK/B' || lpad(g::text, 5, '0'), \(wh.packTypeId), \(wh.whPackStockLocId), \(wh.whOutputStockLocId), 'waiting'
                FROM generate_series(1, \(packs)) g ORDER BY g RETURNING id
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            // Pick moves carry their position in `origin` until their pack move is linked.
            try await connection.query("""
                WITH pick_moves AS (
                    INSERT INTO stockyard.stock_moves (company_id, reference, origin, product_id, product_uom_qty, quantity, location_id,
                                                       location_dest_id, state, picking_id, picking_type_id, sequence)
                    SELECT \(company), 'bench', ((p.ordinal - 1) * \(movesPerPick) + k)::text, \(product), 1, 1, \(wh.lotStockId),
                           \(wh.whPackStockLocId), 'assigned', p.id, \(wh.pickTypeId), 10 * k
                    FROM unnest(\(pickIDs)::bigint[]) WITH ORDINALITY AS p(id, ordinal), generate_series(1, \(movesPerPick)) k
                    RETURNING id, origin, picking_id
                ), lines AS (
                    INSERT INTO stockyard.stock_move_lines (company_id, move_id, picking_id, product_id, location_id, location_dest_id,
                                                            quantity, state)
                    SELECT \(company), id, picking_id, \(product), \(wh.lotStockId), \(wh.whPackStockLocId), 1, 'assigned' FROM pick_moves
                ), pack_moves AS (
                    INSERT INTO stockyard.stock_moves (company_id, reference, origin, product_id, product_uom_qty, location_id,
                                                       location_dest_id, state, procure_method, picking_id, picking_type_id)
                    SELECT \(company), 'bench', m.id::text, \(product), 1, \(wh.whPackStockLocId), \(wh.whOutputStockLocId), 'waiting',
                           'make_to_order', (\(packIDs)::bigint[])[(m.origin::int % \(packs)) + 1], \(wh.packTypeId)
                    FROM pick_moves m
                    RETURNING id, origin
                )
                INSERT INTO stockyard.stock_move_move_rel (company_id, move_orig_id, move_dest_id)
                SELECT \(company), origin::bigint, id FROM pack_moves
                """, logger: logger)
            try await connection.query("ANALYZE stockyard.stock_moves", logger: logger)
            return Wave(company: company, picks: pickIDs, bins: bins)
        }
    }
}

struct CheckoutBenchReport {
    let companies: Int
    let picks: Int
    let packs: Int
    let moves: Int
    let samples: Int
    let groupSize: Int
    /// Nanoseconds, sorted.
    let plan: [UInt64]
    let sync: [UInt64]
    let statements: [(moves: Int, count: Int)]

    private func ms(_ samples: [UInt64], _ p: Double) -> Double { Percentile.of(samples, p).map { Double($0) / 1e6 } ?? 0 }

    func json() -> String {
        var lines = [figure("plan_p50_ms", ms(plan, 0.5)), figure("plan_p99_ms", ms(plan, 0.99)),
                     figure("sync_p50_ms", ms(sync, 0.5)), figure("sync_p99_ms", ms(sync, 0.99))]
        for entry in statements {
            lines.append(#"{"bench": "checkout", "system": "stockyard", "metric": "statements_per_sync", "value": \#(entry.count), "group_moves": \#(entry.moves)}"#)
        }
        return lines.joined(separator: "\n")
    }

    private func figure(_ metric: String, _ value: Double) -> String {
        #"{"bench": "checkout", "system": "stockyard", "metric": "\#(metric)", "value": \#(Format.number(value, decimals: 2))}"#
    }

    func table() -> String {
        var rows: [[String]] = [["figure", "p50", "p99"]]
        rows.append(["plan (GET …/checkout-sync)", Format.number(ms(plan, 0.5), decimals: 2) + " ms", Format.number(ms(plan, 0.99), decimals: 2) + " ms"])
        rows.append(["sync of the current group (POST)", Format.number(ms(sync, 0.5), decimals: 2) + " ms", Format.number(ms(sync, 0.99), decimals: 2) + " ms"])
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = ["stockyard-bench checkout: \(picks) picks → \(packs) packing transfers, \(moves) moves (groups of up to \(groupSize)), " +
                     "one company among \(companies); \(samples) plans and syncs", ""]
        for row in rows {
            lines.append(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        if statements.isEmpty {
            lines.append("statements per sync: not counted (run through ops/bench checkout)")
        } else {
            lines.append("statements per sync (server log): " + statements.map { "\($0.count) for a group of \($0.moves) moves" }
                .joined(separator: ", "))
        }
        lines.append("reproduce: ops/bench checkout")
        return lines.joined(separator: "\n")
    }
}
