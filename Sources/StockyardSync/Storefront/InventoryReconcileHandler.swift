import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore

/// `inventory.reconcile` (issue 6, item 7): Shopify drops webhooks after failures and never replays them, so each
/// live shop's levels are compared with what the storefront holds, every `reconcile_interval_seconds` (and on
/// demand). Where the warehouse drives, a mismatch is drift, classified, and healed by a push; where the
/// storefront drives, a change whose webhook never came is taken into the warehouse. Each run schedules the next
/// before it reads, so a run that fails does not end the chain.
public struct InventoryReconcileHandler: JobHandler {
    public static let kind = "inventory.reconcile"
    static let parallelReads = 8

    let client: StorefrontClient
    let secrets: SecretBox?

    public init(client: StorefrontClient, secrets: SecretBox?) {
        self.client = client
        self.secrets = secrets
    }

    public static func dedupeKey(shop: Int64) -> String { "shop:\(shop)" }

    public func run(_ job: ClaimedJob, context: JobContext) async throws {
        guard case .number(let number)? = job.payload["shop_id"] else { throw JobFailure.permanent("an inventory.reconcile payload needs shop_id") }
        let shop = Int64(number), company = job.companyID, logger = context.logger
        let loaded = try await context.transaction { connection -> (ShopConnection, [PushTarget])? in
            guard let state = try await ShopRepository.reconcileState(shop: shop, company: company, on: connection, logger: logger),
                  state.live, let storefront = try await ShopRepository.connection(shop: shop, company: company, on: connection, logger: logger)
            else { return nil }
            let targets = try await InventoryLevelRepository.syncedTargets(shop: shop, company: company, on: connection, logger: logger)
            try await JobQueue.enqueue(on: connection, kind: Self.kind, payload: .object(["shop_id": .number(Double(shop))]),
                                       options: .init(dedupeKey: Self.dedupeKey(shop: shop),
                                                      runAt: Date().addingTimeInterval(Double(state.interval))),
                                       logger: logger)
            return (storefront, targets)
        }
        // Not live (any more), or not connected: the chain stops here; going live starts it again.
        guard let (shopConnection, targets) = loaded else { return }
        let credentials = try StorefrontClient.Credentials.open(shopConnection, secrets: secrets)
        // An observation dates from before its read: a storefront change recorded meanwhile is newer and wins.
        let readAt = Date()
        let held: [Int: Int?]
        do {
            held = try await read(targets, credentials: credentials)
        } catch let failure as StorefrontClient.Failure {
            throw failure.jobFailure
        }
        try await context.finish { connection in
            for (index, target) in targets.enumerated() {
                try await settle(target, holds: held[index] ?? nil, readAt: readAt, company: company, database: context.database,
                                 on: connection, logger: logger)
            }
        }
    }

    /// What the storefront holds per target, a few reads at a time.
    private func read(_ targets: [PushTarget], credentials: StorefrontClient.Credentials) async throws -> [Int: Int?] {
        var held: [Int: Int?] = [:]
        try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
            for (index, target) in targets.enumerated() {
                if index >= Self.parallelReads, let (done, value) = try await group.next() { held[done] = value }
                group.addTask {
                    (index, try await client.available(inventoryItemID: target.level.inventoryItemId, locationID: target.level.externalLocationId,
                                                       credentials: credentials))
                }
            }
            for try await (done, value) in group { held[done] = value }
        }
        return held
    }

    /// One level. Where the storefront drives, or in `bidirectional` where it changed since we last saw it (a
    /// webhook lost: the change is newer than anything we published), the warehouse takes its change. Otherwise the
    /// warehouse wins: in step (resolve its drift), or drift to record and heal.
    private func settle(_ target: PushTarget, holds actual: Int?, readAt: Date, company: Int64, database: Database,
                        on connection: PostgresConnection, logger: Logger) async throws {
        let level = target.level
        let storefrontDriven = !target.isPublishing
        let changedThere = actual != nil && level.lastSeen != nil && actual != level.lastSeen
        if let actual, StorefrontInventoryChanges.canAdjust(target),
           storefrontDriven || (target.direction == .bidirectional && changedThere) {
            _ = try await StorefrontInventoryChanges.adjustWarehouse(target, to: actual, at: readAt, source: .reconcile, company: company,
                                                                     database: database, on: connection, logger: logger)
            return
        }
        if storefrontDriven { return }
        guard let actual else {
            try await DriftRepository.record(DriftObservation(
                shop: level.shopId, driftClass: .locationMapping, storefrontLocation: level.storefrontLocationId, variant: level.variantId,
                expected: level.computed, actual: nil,
                detail: "the storefront does not stock item \(level.inventoryItemId) at location \(level.externalLocationId)",
                source: "reconcile"), company: company, on: connection, logger: logger)
            return
        }
        try await InventoryLevelRepository.recordSeen(actual, at: readAt, source: .reconcile, storefrontLocation: level.storefrontLocationId,
                                                      variant: level.variantId, company: company, on: connection, logger: logger)
        if actual == level.computed {
            try await DriftRepository.resolve(storefrontLocation: level.storefrontLocationId, variant: level.variantId,
                                              resolution: "in step at reconcile", company: company, on: connection, logger: logger)
            return
        }
        let driftClass = DriftClassifier.classify(level, storefrontHolds: actual)
        try await DriftRepository.record(DriftObservation(
            shop: level.shopId, driftClass: driftClass, storefrontLocation: level.storefrontLocationId, variant: level.variantId,
            expected: level.computed, actual: actual, detail: DriftClassifier.explain(driftClass, level, storefrontHolds: actual),
            source: "reconcile"), company: company, on: connection, logger: logger)
        try await JobQueue.enqueue(on: connection, kind: InventoryPushHandler.kind,
                                   payload: .object(["storefront_location_id": .number(Double(level.storefrontLocationId)),
                                                     "product_id": .number(Double(level.productId))]),
                                   options: .init(dedupeKey: InventoryPushHandler.dedupeKey(storefrontLocation: level.storefrontLocationId,
                                                                                           product: level.productId)),
                                   logger: logger)
    }
}
