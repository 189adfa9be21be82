import Foundation
import StockyardCore
import Testing

/// Webhook signatures, sealed credentials, publishable availability and the direction rule (issue 6's pure parts).
@Suite struct StorefrontCoreTests {
    @Test func aSignatureIsTheBase64HMACOfTheRawBody() {
        // RFC 4231, test case 2, in base64 as Shopify sends it.
        let body = Data("what do ya want for nothing?".utf8)
        #expect(WebhookSignature.sign(body, secret: "Jefe") == "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=")
        #expect(WebhookSignature.isValid(body, header: "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=", secrets: ["Jefe"]))
    }

    @Test func aWrongMissingOrMalformedSignatureIsRefused() {
        let body = Data(#"{"available":5}"#.utf8)
        let signed = WebhookSignature.sign(body, secret: "current")
        #expect(!WebhookSignature.isValid(body, header: signed, secrets: ["other"]))
        #expect(!WebhookSignature.isValid(Data(#"{"available":6}"#.utf8), header: signed, secrets: ["current"]))
        #expect(!WebhookSignature.isValid(body, header: nil, secrets: ["current"]))
        #expect(!WebhookSignature.isValid(body, header: "not base64!", secrets: ["current"]))
        #expect(!WebhookSignature.isValid(body, header: Data(repeating: 1, count: 16).base64EncodedString(), secrets: ["current"]))
        #expect(!WebhookSignature.isValid(body, header: signed, secrets: []))
        #expect(!WebhookSignature.isValid(body, header: signed, secrets: [""]))
    }

    @Test func thePreviousSecretIsAcceptedDuringARotation() {
        let body = Data("{}".utf8)
        let oldSigned = WebhookSignature.sign(body, secret: "old")
        #expect(WebhookSignature.isValid(body, header: oldSigned, secrets: ["new", "old"]))
        #expect(!WebhookSignature.isValid(body, header: oldSigned, secrets: ["new"]))
    }

    @Test func sealedSecretsOpenOnlyWithTheirKeyAndShop() throws {
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let box = try SecretBox(base64Key: key)
        let sealed = try box.seal("shpat_123", boundTo: "shop:7")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("shpat_123"))
        #expect(try box.open(sealed, boundTo: "shop:7") == "shpat_123")
        #expect(throws: SecretBox.Failure.cannotOpen) { try box.open(sealed, boundTo: "shop:8") }
        let otherKey = try SecretBox(base64Key: Data(repeating: 9, count: 32).base64EncodedString())
        #expect(throws: SecretBox.Failure.cannotOpen) { try otherKey.open(sealed, boundTo: "shop:7") }
        #expect(throws: SecretBox.Failure.invalidKey) { try SecretBox(base64Key: "c2hvcnQ=") }
    }

    @Test func publishableIsFreeStockLessTheBufferNeverNegative() {
        let stock = [Availability.Stock(quantity: 10, reserved: 3), Availability.Stock(quantity: 5, reserved: 0)]
        #expect(Availability.publishable(stock, buffer: 0) == 12)
        #expect(Availability.publishable(stock, buffer: 2) == 10)
        #expect(Availability.publishable(stock, buffer: 20) == 0)
        #expect(Availability.publishable([], buffer: 0) == 0)
        #expect(Availability.publishable([Availability.Stock(quantity: Decimal(string: "2.5")!, reserved: 0)], buffer: 0) == 2)
    }

    @Test func theWarehouseWinsUnlessTheDirectionLetsTheStorefrontWrite() {
        let published = Date(timeIntervalSince1970: 1_000)
        let later = published.addingTimeInterval(5), earlier = published.addingTimeInterval(-5)
        func decide(_ direction: InventoryDirection, _ reported: Int, at: Date, allows: Bool = true) -> InventoryDirection.Decision {
            direction.decide(reported: reported, reportedAt: at, lastPublished: 8, lastPublishedAt: published, lastSeen: 8,
                             locationAllowsShopWrites: allows)
        }
        #expect(decide(.warehouseToShop, 8, at: later) == .ownEcho)
        #expect(decide(.warehouseToShop, 5, at: later) == .correctStorefront)
        #expect(decide(.shopToWarehouse, 5, at: earlier) == .adjustWarehouse)
        #expect(decide(.bidirectional, 5, at: later) == .adjustWarehouse)
        #expect(decide(.bidirectional, 5, at: earlier) == .correctStorefront, "older than what we published")
        #expect(decide(.bidirectional, 5, at: later, allows: false) == .correctStorefront, "the location does not allow it")
        // Back to the value last published after another was seen: a second change, not our write coming back.
        #expect(InventoryDirection.bidirectional.decide(reported: 8, reportedAt: later, lastPublished: 8, lastPublishedAt: published,
                                                        lastSeen: 6, locationAllowsShopWrites: true) == .adjustWarehouse)
        #expect(InventoryDirection.warehouseToShop.decide(reported: 8, reportedAt: later, lastPublished: 8, lastPublishedAt: published,
                                                          lastSeen: 6, locationAllowsShopWrites: false) == .correctStorefront)
        #expect(InventoryDirection.isOwnEcho(reported: 8, lastPublished: 8, lastSeen: 8))
        #expect(!InventoryDirection.isOwnEcho(reported: 8, lastPublished: nil, lastSeen: 8))
    }
}

@Suite struct CutoverChecklistTests {
    func ready() -> CutoverChecklist.Facts {
        var facts = CutoverChecklist.Facts()
        facts.activeLocations = 3; facts.enabledLocations = 2; facts.topSKUs = 5; facts.linkedVariants = 5
        facts.directionChosen = true; facts.previews = 1; facts.monitoringOwner = "ops@example.com"
        return facts
    }

    @Test func aShopWithEverythingDoneHasNoOpenItem() {
        #expect(CutoverChecklist.open(CutoverChecklist.items(ready())).isEmpty)
    }

    @Test func eachGapOpensItsItem() {
        let gaps: [(String, (inout CutoverChecklist.Facts) -> Void)] = [
            ("locations_listed", { $0.activeLocations = 0 }),
            ("locations_classified", { $0.unclassifiedLocations = 1 }),
            ("locations_mapped_or_excluded", { $0.pendingLocations = 1 }),
            ("top_skus_linked", { $0.unlinkedTopSKUs = 2 }),
            ("matching_confirmed", { $0.unconfirmedLinks = 1 }),
            ("direction_set", { $0.directionChosen = false }),
            ("buffers_documented", { $0.undocumentedLocations = 1 }),
            ("opening_stock_reviewed", { $0.previews = 0 }),
            ("stock_event_per_location", { $0.locationsWithoutStockEvent = 1 }),
            ("failed_jobs_reviewed", { $0.deadJobs = 3 }),
            ("monitoring_owner_set", { $0.monitoringOwner = nil }),
        ]
        for (key, gap) in gaps {
            var facts = ready()
            gap(&facts)
            let open = CutoverChecklist.open(CutoverChecklist.items(facts)).map(\.key)
            #expect(open.contains(key), "\(key) opens when its fact is missing: \(open)")
        }
    }
}

@Suite struct LevelWriteKeyTests {
    func key(round: Int = 0, changeFrom: Int = 4) -> String {
        LevelWriteKey.make(company: 1, job: 77, round: round, location: 9001, item: 501, quantity: 10, changeFrom: changeFrom)
    }

    @Test func aWriteHasOneUUIDWhateverTheRetry() {
        let uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
        #expect(key().wholeMatch(of: uuid) != nil, "\(key())")
        #expect(key() == key(), "a retry of the same write sends the same key")
        #expect(UUID(uuidString: key()) != nil)
    }

    @Test func aWriteAfterARereadIsAnotherWriteEvenAgainstAValueSeenBefore() {
        #expect(key(round: 0) != key(round: 2), "the same comparison in a later round")
        #expect(key(changeFrom: 4) != key(changeFrom: 5))
        #expect(LevelWriteKey.make(company: 2, job: 77, round: 0, location: 9001, item: 501, quantity: 10, changeFrom: 4) != key())
    }
}
