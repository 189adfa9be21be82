import Foundation
import HummingbirdTesting
import StockyardAPI
import StockyardCore
import StockyardStore
import Testing

/// `serve` runs its job runner on a pool of its own (decisions D30): requests waiting in the database hold every
/// API connection, and the sync workers go on.
@Suite struct JobWorkerPoolTests {
    @Test func requestsHoldingEveryAPIConnectionDoNotHoldUpTheRunner() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        var config = environment.config()
        config.databasePoolSize = 1
        config.jobs.poolSize = 1
        // Only this test enqueues `noop`; the suite's other runners claim their own kinds.
        config.jobs.kinds = ["noop"]
        let app = try buildApplication(config: config, worker: true, logger: environment.logger)
        try await app.test(.live) { client in
            let warehouse = try await client.send(.post, "/v1/warehouses", token: company.token,
                                                  json: #"{"name":"Main","code":"WH","delivery_steps":"ship_only"}"#).decode(Warehouse.self)
            let product = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"A"}"#).decode(Product.self)
            let count = #"{"product_id":\#(product.id),"location_id":\#(warehouse.lotStockId),"inventory_quantity":"#
            #expect(try await client.send(.post, "/v1/inventory-adjustments", token: company.token, json: count + "5}").status == .created)

            try await environment.owner.withConnection { holder in
                try await holder.rows("BEGIN")
                try await holder.rows("SELECT 1 FROM stockyard.stock_quants WHERE company_id = \(company.id) AND product_id = \(product.id) FOR UPDATE")
                let holderPID = try await holder.rows("SELECT pg_backend_pid()").collect()[0].decode(Int32.self)
                // The API's only connection now waits for the quant's row lock.
                let blocked = Task { try await client.send(.post, "/v1/inventory-adjustments", token: company.token, json: count + "7}") }
                try await waitUntil(timeout: .seconds(10)) { try await blockedBy(holderPID, environment) }

                let job = try await environment.enqueue("noop", company: company.id)
                try await waitUntil(timeout: .seconds(10)) { try await environment.job(job, company: company.id)?.state == .done }
                #expect(try await blockedBy(holderPID, environment), "the request was still waiting while the job ran")

                try await holder.rows("ROLLBACK")
                #expect(try await blocked.value.status == .created)
            }
            let metrics = try await client.send(.get, "/metrics").text
            #expect(metrics.contains(#"stockyard_db_pool_connections_max{pool="api"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"stockyard_db_pool_connections_max{pool="jobs"} 1"#), "\(metrics)")
        }
    }

    /// Whether an app-role backend waits for a lock that `holder` holds.
    private func blockedBy(_ holder: Int32, _ environment: TestEnvironment) async throws -> Bool {
        try await environment.owner.collect("""
            SELECT count(*)::int FROM pg_stat_activity WHERE usename = 'stockyard_app' AND \(holder) = ANY (pg_blocking_pids(pid))
            """)[0].decode(Int.self) > 0
    }
}
