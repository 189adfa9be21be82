import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore

/// `inventory.push` (issue 6, item 5): publishes what one storefront location can sell of one product. The job is
/// coalesced per pair, and reads the current quantities when it runs, so a burst of changes costs one call. The
/// write is a compare-and-set against the level last seen, with an idempotency key per logical write; a stale
/// compare reads the storefront's level, records the drift, and applies the direction rule.
public struct InventoryPushHandler: JobHandler {
    public static let kind = InventoryPushJob.kind
    /// How many stale compares one run absorbs before it retries later.
    static let staleRounds = 3

    let client: StorefrontClient
    let secrets: SecretBox?

    public init(client: StorefrontClient, secrets: SecretBox?) {
        self.client = client
        self.secrets = secrets
    }

    /// The job's dedupe key; migration 0011's enqueue_inventory_pushes builds the same one in SQL.
    public static func dedupeKey(storefrontLocation: Int64, product: Int64) -> String { "\(storefrontLocation):\(product)" }

    public func run(_ job: ClaimedJob, context: JobContext) async throws {
        guard case .number(let location)? = job.payload["storefront_location_id"], case .number(let product)? = job.payload["product_id"] else {
            throw JobFailure.permanent("an inventory.push payload needs storefront_location_id and product_id")
        }
        let company = job.companyID, logger = context.logger
        // An opening-stock stage publishes before the shop goes live (cutover), to locations the warehouse drives.
        let openingStock = job.payload["opening_stock"] == .bool(true)
        let loaded = try await InventoryLevelRepository.beginPush(storefrontLocation: Int64(location), product: Int64(product), job: job.id,
                                                                  company: company, database: context.database, logger: logger)
        // Not enabled, not linked, not live, storefront-driven, or not connected: nothing to publish.
        guard let (target, connection) = loaded, target.isPublishing || openingStock && target.direction != .shopToWarehouse,
              let shop = connection else { return }
        let credentials = try StorefrontClient.Credentials.open(shop, secrets: secrets)
        do {
            try await publish(target, credentials: credentials, job: job, context: context)
        } catch let failure as StorefrontClient.Failure {
            if failure == .unauthorized {
                try await record(.companyAccess, target, actual: nil, "the storefront refused the shop's access token", context: context)
            }
            throw failure.jobFailure
        }
    }

    private func publish(_ target: PushTarget, credentials: StorefrontClient.Credentials, job: ClaimedJob,
                         context: JobContext) async throws {
        let level = target.level, company = job.companyID, logger = context.logger
        let quantity = level.computed
        var changeFrom = level.lastSeen
        if changeFrom == nil {
            // Never seen: read it first, so the write can still be a compare-and-set.
            changeFrom = try await storefrontLevel(target, credentials: credentials, context: context)
            if let seen = changeFrom { try await recordSeen(seen, target, context: context) }
        }
        var sentAt: Date?
        for round in 0..<Self.staleRounds {
            guard let believed = changeFrom else { return }
            if believed != quantity {
                sentAt = Date()
                let write = StorefrontClient.LevelWrite(inventoryItemID: level.inventoryItemId, locationID: level.externalLocationId,
                                                        quantity: quantity, changeFrom: believed)
                let key = LevelWriteKey.make(company: company, job: job.id, round: round, location: level.externalLocationId,
                                             item: level.inventoryItemId, quantity: quantity, changeFrom: believed)
                switch try await client.setAvailable([write], idempotencyKey: key, reference: "stockyard://job/\(job.id)",
                                                     credentials: credentials) {
                case .applied:
                    break
                case .rejected(let errors):
                    let notStocked = errors.contains { $0.code == "ITEM_NOT_STOCKED_AT_LOCATION" }
                    try await record(notStocked ? .locationMapping : .productIdentity, target, actual: believed,
                                     "the storefront refused the level: \(errors.map { "\($0.code) \($0.message)" }.joined(separator: "; "))",
                                     context: context)
                    throw JobFailure.permanent("the storefront refused the level: \(errors.map(\.code).joined(separator: ", "))")
                case .stale:
                    guard let actual = try await storefrontLevel(target, credentials: credentials, context: context) else { return }
                    let decision = target.direction.decide(reported: actual, reportedAt: Date(), lastPublished: level.lastPublished,
                                                           lastPublishedAt: level.lastPublishedAt, lastSeen: level.lastSeen,
                                                           locationAllowsShopWrites: target.direction == .bidirectional)
                    if decision == .adjustWarehouse && StorefrontInventoryChanges.canAdjust(target) {
                        let readAt = Date()
                        _ = try await context.finish { connection in
                            try await StorefrontInventoryChanges.adjustWarehouse(target, to: actual, at: readAt, source: .read,
                                                                                 company: company, database: context.database,
                                                                                 on: connection, logger: logger)
                        }
                        return
                    }
                    try await recordSeen(actual, target, context: context)
                    if decision == .adjustWarehouse {
                        try await record(.locationMapping, target, actual: actual,
                                         "the storefront held \(actual) where \(believed) was last seen, but its location maps to a view, where stock cannot be adjusted; \(quantity) is published again",
                                         context: context)
                    } else if actual != quantity {
                        try await record(.directionConflict, target, actual: actual,
                                         "the storefront held \(actual) where \(believed) was last seen: changed outside Stockyard; the warehouse wins and \(quantity) is published again",
                                         context: context)
                    }
                    changeFrom = actual
                    continue
                }
            }
            try await context.finish(inOneStatement: { worker in
                try await InventoryLevelRepository.finishPush(quantity, sentAt: sentAt, resolution: "the storefront holds \(quantity) again",
                                                              storefrontLocation: level.storefrontLocationId, variant: level.variantId,
                                                              job: job.id, worker: worker, company: company, database: context.database,
                                                              logger: logger)
            })
            return
        }
        throw JobFailure.retryable("the storefront's level kept changing during the push", after: .milliseconds(200))
    }

    private func recordSeen(_ quantity: Int, _ target: PushTarget, context: JobContext) async throws {
        try await context.transaction { connection in
            try await InventoryLevelRepository.recordSeen(quantity, at: Date(), source: .read, storefrontLocation: target.level.storefrontLocationId,
                                                          variant: target.level.variantId, company: context.job.companyID,
                                                          on: connection, logger: context.logger)
        }
    }

    /// Reads the storefront's level; a level the storefront does not stock is drift.
    private func storefrontLevel(_ target: PushTarget, credentials: StorefrontClient.Credentials, context: JobContext) async throws -> Int? {
        let level = target.level, company = context.job.companyID, logger = context.logger
        guard let actual = try await client.available(inventoryItemID: level.inventoryItemId, locationID: level.externalLocationId,
                                                      credentials: credentials) else {
            try await record(.locationMapping, target, actual: nil,
                             "the storefront does not stock item \(level.inventoryItemId) at location \(level.externalLocationId)", context: context)
            throw JobFailure.permanent("the storefront does not stock the item at the location")
        }
        return actual
    }

    private func record(_ driftClass: DriftClass, _ target: PushTarget, actual: Int?, _ detail: String, context: JobContext) async throws {
        let level = target.level
        try await context.transaction { connection in
            try await DriftRepository.record(DriftObservation(shop: level.shopId, driftClass: driftClass,
                                                              storefrontLocation: level.storefrontLocationId, variant: level.variantId,
                                                              expected: level.computed, actual: actual, detail: detail, source: "push"),
                                             company: context.job.companyID, on: connection, logger: context.logger)
        }
    }
}
