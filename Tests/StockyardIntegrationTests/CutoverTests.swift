import Foundation
import HTTPTypes
import HummingbirdTesting
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// The cutover (issue 6, item 8): the runbook's checklist from data, a preview that writes nothing to the
/// storefront, opening stock in stages with progress, and going live only when ready or forced with a reason.
@Suite struct CutoverTests {
    typealias F = StorefrontFixture

    func checklist(_ f: F, query: String = "") async throws -> CutoverChecklistReport {
        try await f.api.send(.get, "\(f.shopPath)/cutover/checklist\(query)", token: f.token).decode(CutoverChecklistReport.self)
    }

    func open(_ report: CutoverChecklistReport) -> [String] { CutoverChecklist.open(report.items).map(\.key) }

    func events(_ f: F) async throws -> [(kind: String, reason: String?)] {
        try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
            try await connection.rows("SELECT kind, reason FROM stockyard.cutover_events WHERE shop_id = \(f.shop.id) ORDER BY id")
                .collect().map { try $0.decode((String, String?).self) }.map { (kind: $0.0, reason: $0.1) }
        }
    }

    @Test func theChecklistFollowsTheDataAndGatesGoingLive() async throws {
        try await F.with(live: false) { f in
            try await f.count(f.productA, 10)
            var report = try await checklist(f)
            #expect(report.cutoverState == "planning" && !report.readyToGoLive)
            #expect(open(report) == ["matching_confirmed", "opening_stock_reviewed", "stock_event_per_location", "monitoring_owner_set"])
            #expect(open(try await checklist(f, query: "?top_skus=SKU-A,NOPE")).contains("top_skus_linked"))

            let refused = try await f.api.send(.post, "\(f.shopPath)/cutover/go-live", token: f.token)
            #expect(refused.status == .conflict && refused.text.contains("monitoring_owner_set"), "\(refused.text)")
            let noReason = try await f.api.send(.post, "\(f.shopPath)/cutover/go-live", token: f.token, json: #"{"force":true}"#)
            #expect(noReason.status == .unprocessableContent && noReason.text.contains("reason"))
            #expect(try await f.api.send(.get, f.shopPath, token: f.token).decode(Shop.self).cutoverState == "planning")

            // Close each item the way an operator does.
            #expect(try await f.api.send(.post, "\(f.shopPath)/variants/confirm", token: f.token).status == .ok)
            #expect(try await f.api.send(.patch, f.shopPath, token: f.token, json: #"{"monitoring_owner":"ops@example.com"}"#).status == .ok)
            #expect(try await f.api.send(.post, "\(f.shopPath)/cutover/preview", token: f.token).status == .ok)
            for location in [F.online, F.retail] {
                #expect(try await f.deliver(F.levelUpdate(F.itemA, at: location, available: 0)).status == .ok)
            }
            report = try await checklist(f)
            #expect(report.readyToGoLive, "\(open(report))")

            let live = try await f.api.send(.post, "\(f.shopPath)/cutover/go-live", token: f.token)
            #expect(live.status == .ok, "\(live.text)")
            #expect(try await f.api.send(.get, f.shopPath, token: f.token).decode(Shop.self).cutoverState == "live")
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            #expect(try await events(f).map(\.kind) == ["preview", "go_live"])
            #expect(try await f.api.send(.post, "\(f.shopPath)/cutover/go-live", token: f.token).status == .conflict, "live already")
        }
    }

    @Test func forcingGoLiveRecordsTheReason() async throws {
        try await F.with(live: false) { f in
            let forced = try await f.api.send(.post, "\(f.shopPath)/cutover/go-live", token: f.token,
                                              json: #"{"force":true,"reason":"Black Friday: the 3PL confirmed counts by phone"}"#)
            #expect(forced.status == .ok, "\(forced.text)")
            let recorded = try await events(f)
            #expect(recorded.map(\.kind) == ["forced_go_live"] && recorded.first?.reason == "Black Friday: the 3PL confirmed counts by phone")
            let detail = try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
                try await connection.rows("SELECT detail::text FROM stockyard.cutover_events WHERE shop_id = \(f.shop.id)").collect()[0].decode(String.self)
            }
            #expect(detail.contains("monitoring_owner_set"), "the open items are recorded with the reason: \(detail)")
        }
    }

    @Test func aPreviewWritesNothingAndOpeningStockIsPublishedInStages() async throws {
        try await F.with(live: false) { f in
            try await f.count(f.productA, 10)
            try await f.count(f.productB, 3)
            let preview = try await f.api.send(.post, "\(f.shopPath)/cutover/preview", token: f.token, json: #"{"skus":["SKU-A"]}"#)
            #expect(preview.status == .ok, "\(preview.text)")
            let report = try preview.decode(CutoverPreview.Report.self)
            #expect(report.items.map(\.after).sorted() == [8, 10] && report.items.allSatisfy { $0.before == 0 } && report.changes == 2)
            try await f.settle()
            #expect(try await f.storefrontLevel(F.itemA, at: F.online) == 0, "a preview writes nothing to the storefront")

            let first = try await f.api.send(.post, "\(f.shopPath)/cutover/opening-stock", token: f.token, json: #"{"skus":["SKU-A"]}"#)
            #expect(first.status == .accepted, "\(first.text)")
            #expect(try first.decode(OpeningStockStage.self).levels == 2)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            #expect(try await f.storefrontLevel(F.itemB, at: F.online) == 0, "B is not in the first stage")

            let category = try await f.api.send(.post, "/v1/product-categories", token: f.token, json: #"{"name":"Mugs"}"#).json()["id"] as? Int
            #expect(try await f.api.send(.patch, "/v1/products/\(f.productB.id)", token: f.token, json: #"{"categ_id":\#(category ?? 0)}"#).status == .ok)
            let second = try await f.api.send(.post, "\(f.shopPath)/cutover/opening-stock", token: f.token, json: #"{"category_ids":[\#(category ?? 0)]}"#)
            #expect(second.status == .accepted)
            try await f.expectStorefront(F.itemB, at: F.online, toBecome: 3)
            try await f.expectStorefront(F.itemB, at: F.retail, toBecome: 1)
            try await f.settle()
            let stages = try await f.api.send(.get, "\(f.shopPath)/cutover/progress", token: f.token).json()["items"] as? [[String: Any]] ?? []
            #expect(stages.map { $0["published"] as? Int } == [2, 2] && stages.map { $0["levels"] as? Int } == [2, 2], "\(stages)")

            for bad in [#"{"skus":[]}"#, #"{"category_ids":[]}"#, #"{"skus":"SKU-A"}"#] {
                #expect(try await f.api.send(.post, "\(f.shopPath)/cutover/opening-stock", token: f.token, json: bad).status == .unprocessableContent, "\(bad)")
            }
            #expect(try await f.api.send(.post, "\(f.shopPath)/cutover/go-live", token: f.token,
                                         json: #"{"force":true,"reason":"staged"}"#).status == .ok)
            #expect(try await f.api.send(.post, "\(f.shopPath)/cutover/opening-stock", token: f.token).status == .conflict)
        }
    }

    @Test func aDeadJobHoldsUpItsOwnShopsChecklistOnly() async throws {
        try await F.with(live: false) { f in
            let domain = "second-shop.myshopify.com"
            let created = try await f.api.send(.post, "/v1/shops", token: f.token,
                                               json: #"{"name":"Second","domain":"\#(domain)","webhook_secret":"whsec_second"}"#)
            let second = try created.json()["id"] as? Int ?? 0
            #expect(try await f.deliver(F.levelUpdate(F.itemA, at: F.online, available: 1), domain: domain, secret: "whsec_second").status == .ok)
            func deadJob(_ kind: String, _ payload: String) async throws {
                _ = try await f.environment.owner.collect("""
                    INSERT INTO stockyard.sync_jobs (company_id, kind, payload, state) VALUES (\(f.company.id), \(kind), \(unescaped: payload), 'dead')
                    """)
            }
            func failedJobsItemOpen(_ shop: Int) async throws -> Bool {
                let report = try await f.api.send(.get, "/v1/shops/\(shop)/cutover/checklist", token: f.token).decode(CutoverChecklistReport.self)
                return open(report).contains("failed_jobs_reviewed")
            }
            try await deadJob("webhook.process", "(SELECT jsonb_build_object('event_id', max(id)) FROM stockyard.webhook_events WHERE shop_id = \(second))")
            #expect(try await failedJobsItemOpen(second), "the second shop's dead webhook job")
            #expect(try await !failedJobsItemOpen(Int(f.shop.id)), "another shop's dead job is not this shop's to review")

            try await deadJob("inventory.push", """
                (SELECT jsonb_build_object('storefront_location_id', min(id), 'product_id', \(f.productA.id))
                 FROM stockyard.storefront_locations WHERE shop_id = \(f.shop.id))
                """)
            #expect(try await failedJobsItemOpen(Int(f.shop.id)), "this shop's own dead push")

            // A stage counts the dead opening-stock pushes queued from it until the next stage, not the later ones.
            for skus in [#"["SKU-A"]"#, #"["SKU-B"]"#] {
                #expect(try await f.api.send(.post, "\(f.shopPath)/cutover/opening-stock", token: f.token, json: #"{"skus":\#(skus)}"#).status == .accepted)
            }
            try await deadJob("inventory.push", """
                (SELECT jsonb_build_object('storefront_location_id', min(id), 'product_id', \(f.productB.id), 'opening_stock', true)
                 FROM stockyard.storefront_locations WHERE shop_id = \(f.shop.id))
                """)
            let stages = try await f.api.send(.get, "\(f.shopPath)/cutover/progress", token: f.token).json()["items"] as? [[String: Any]] ?? []
            #expect(stages.map { $0["failed"] as? Int } == [0, 1], "\(stages)")
            let first = try await f.api.send(.get, "\(f.shopPath)/cutover/progress?limit=1", token: f.token).decode(Page<OpeningStockStage>.self)
            let cursor = try #require(first.nextCursor)
            let rest = try await f.api.send(.get, "\(f.shopPath)/cutover/progress?limit=1&cursor=\(cursor)", token: f.token).decode(Page<OpeningStockStage>.self)
            #expect(first.items.map(\.failed) == [0] && rest.items.map(\.failed) == [1] && rest.nextCursor == nil, "the stages, a page each")
        }
    }

    @Test func aRetriedStageOrGoLiveWithItsKeyActsOnce() async throws {
        try await F.with(live: false) { f in
            try await f.count(f.productA, 10)
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "stage-1"]
            let first = try await f.api.send(.post, "\(f.shopPath)/cutover/opening-stock", token: f.token, json: #"{"skus":["SKU-A"]}"#, headers: key)
            let retry = try await f.api.send(.post, "\(f.shopPath)/cutover/opening-stock", token: f.token, json: #"{"skus":["SKU-A"]}"#, headers: key)
            #expect(first.status == .accepted && retry.status == .accepted, "\(retry.text)")
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true" && retry.body == first.body)
            let stages = try await f.api.send(.get, "\(f.shopPath)/cutover/progress", token: f.token).json()["items"] as? [[String: Any]] ?? []
            #expect(stages.count == 1, "one stage recorded, not two: \(stages)")

            let live: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "live-1"]
            let forced = #"{"force":true,"reason":"a retried go-live"}"#
            let wentLive = try await f.api.send(.post, "\(f.shopPath)/cutover/go-live", token: f.token, json: forced, headers: live)
            let again = try await f.api.send(.post, "\(f.shopPath)/cutover/go-live", token: f.token, json: forced, headers: live)
            #expect(wentLive.status == .ok && again.status == .ok, "the retry replays the 200, not a 409: \(again.text)")
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
        }
    }

    @Test func anotherCompanyCannotRunTheCutover() async throws {
        try await F.with(live: false) { f in
            let b = try await f.environment.makeCompany()
            for (method, path) in [(HTTPRequest.Method.get, "checklist"), (.post, "preview"), (.post, "opening-stock"), (.get, "progress"),
                                   (.post, "go-live")] {
                let response = try await f.api.send(method, "\(f.shopPath)/cutover/\(path)", token: b.token)
                #expect(response.status == .notFound, "\(path): \(response.status)")
            }
            #expect(try await f.api.send(.get, f.shopPath, token: f.token).decode(Shop.self).cutoverState == "planning")
        }
    }
}
