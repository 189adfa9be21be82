import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore

/// `webhook.process` (issue 6, item 6): settles one stored webhook event, once. `inventory_levels/update` follows
/// the location's direction: a storefront-driven change becomes an inventory adjustment at the mapped location;
/// otherwise it is our own echo, already in step, or drift that the push corrects. Events older than the level
/// last seen (out of order, or retried late) are dropped.
public struct WebhookEventHandler: JobHandler {
    public static let kind = "webhook.process"

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws {
        guard case .number(let id)? = job.payload["event_id"] else { throw JobFailure.permanent("a webhook.process payload needs event_id") }
        let company = job.companyID, logger = context.logger
        try await context.finish { connection in
            guard let event = try await WebhookEventRepository.event(Int64(id), company: company, on: connection, logger: logger),
                  event.processedAt == nil else { return }
            let outcome = switch event.topic {
            case "inventory_levels/update":
                try await levelUpdated(event, company: company, context: context, on: connection)
            default:
                "stored; Stockyard does not act on \(event.topic) yet"
            }
            try await WebhookEventRepository.markProcessed(event.id, outcome: outcome, company: company, on: connection, logger: logger)
        }
    }

    private func levelUpdated(_ event: WebhookEvent, company: Int64, context: JobContext, on connection: PostgresConnection) async throws -> String {
        let logger = context.logger
        // Whole numbers in range only: the body is signed by the shop, but its numbers are still input.
        guard case .number(let rawItem)? = event.payload["inventory_item_id"], let item = Int64(exactly: rawItem),
              case .number(let rawLocation)? = event.payload["location_id"], let location = Int64(exactly: rawLocation),
              case .number(let available)? = event.payload["available"], let reported = Int32(exactly: available).map(Int.init) else {
            return "ignored: the payload lacks a whole inventory_item_id, location_id or available"
        }
        let at = event.triggeredAt ?? event.receivedAt
        guard let key = try await InventoryLevelRepository.levelKey(shop: event.shop, externalLocation: location, inventoryItem: item,
                                                                    company: company, on: connection, logger: logger) else {
            return try await unknownSubject(event, item: item, location: location, reported: reported, company: company,
                                            logger: logger, on: connection)
        }
        // Events of one level take turns.
        let locked = try await InventoryLevelRepository.lock(storefrontLocation: key.storefrontLocation, variant: key.variant,
                                                             company: company, on: connection, logger: logger)
        if let seenAt = locked.lastSeenAt, at <= seenAt { return "dropped: older than the level last seen (\(seenAt))" }
        let pushKey = InventoryPushHandler.dedupeKey(storefrontLocation: key.storefrontLocation, product: key.product)
        if try await InventoryLevelRepository.isPushRunning(dedupeKey: pushKey, company: company, on: connection, logger: logger) {
            // Its echo may be this very event: settle it after the push has recorded what it wrote (a wait, not a
            // failed attempt, however long the push takes).
            throw JobFailure.deferred("a push to this level is in flight", wait: .milliseconds(100))
        }
        if locked.isEcho(of: reported) {
            // Our own write coming back: in step, with nothing to compute.
            try await InventoryLevelRepository.recordSeen(reported, at: at, source: .webhook, storefrontLocation: key.storefrontLocation,
                                                          variant: key.variant, company: company, on: connection, logger: logger)
            return "in step (\(reported))"
        }
        guard let target = try await InventoryLevelRepository.webhookTarget(shop: event.shop, externalLocation: location, inventoryItem: item,
                                                                            company: company, on: connection, logger: logger) else {
            return try await unknownSubject(event, item: item, location: location, reported: reported, company: company,
                                            logger: logger, on: connection)
        }
        let level = target.level
        let decision = target.direction.decide(reported: reported, reportedAt: at, lastPublished: level.lastPublished,
                                               lastPublishedAt: level.lastPublishedAt, lastSeen: level.lastSeen,
                                               locationAllowsShopWrites: target.direction == .bidirectional)
        if decision == .adjustWarehouse && StorefrontInventoryChanges.canAdjust(target) {
            let delta = try await StorefrontInventoryChanges.adjustWarehouse(target, to: reported, at: at, source: .webhook, company: company,
                                                                             database: context.database, on: connection, logger: logger)
            return "the warehouse took the storefront's change (\(delta))"
        }
        try await InventoryLevelRepository.recordSeen(reported, at: at, source: .webhook, storefrontLocation: level.storefrontLocationId,
                                                      variant: level.variantId, company: company, on: connection, logger: logger)
        if reported == level.computed || decision == .ownEcho { return "in step (\(reported))" }
        let (driftClass, detail): (DriftClass, String) = decision == .adjustWarehouse
            ? (.locationMapping, "the storefront was changed to \(reported), but its location maps to a view, where stock cannot be adjusted; \(level.computed) is published again")
            : (.directionConflict, "the storefront was changed to \(reported) outside Stockyard; the warehouse wins and \(level.computed) is published again")
        try await DriftRepository.record(DriftObservation(
            shop: level.shopId, driftClass: driftClass, storefrontLocation: level.storefrontLocationId, variant: level.variantId,
            expected: level.computed, actual: reported, detail: detail, source: "webhook"), company: company, on: connection, logger: logger)
        if target.isPublishing {
            try await JobQueue.enqueue(on: connection, kind: InventoryPushHandler.kind,
                                       payload: .object(["storefront_location_id": .number(Double(level.storefrontLocationId)),
                                                         "product_id": .number(Double(level.productId))]),
                                       options: .init(dedupeKey: pushKey), logger: logger)
        }
        return "drift: the storefront held \(reported), Stockyard publishes \(level.computed)"
    }

    /// A level for a location or item the map does not cover: recorded as drift in the class that explains it.
    private func unknownSubject(_ event: WebhookEvent, item: Int64, location: Int64, reported: Int, company: Int64, logger: Logger,
                                on connection: PostgresConnection) async throws -> String {
        let subject = try await InventoryLevelRepository.webhookSubject(shop: event.shop, externalLocation: location, inventoryItem: item,
                                                                        company: company, on: connection, logger: logger)
        if subject.sync == .excluded { return "ignored: storefront location \(location) is excluded from sync" }
        let (driftClass, detail): (DriftClass, String) =
            if subject.storefrontLocation == nil { (.locationMapping, "storefront location \(location) is not in the location map (import the locations)") }
            else if subject.sync != .enabled { (.locationMapping, "storefront location \(location) is not mapped and enabled") }
            else if subject.variant == nil { (.productIdentity, "inventory item \(item) is not a known variant of the shop (import the variants)") }
            else { (.productIdentity, "inventory item \(item) is not linked to a product") }
        try await DriftRepository.record(DriftObservation(shop: event.shop, driftClass: driftClass, storefrontLocation: subject.storefrontLocation,
                                                          variant: subject.variant, expected: nil, actual: reported, detail: detail,
                                                          source: "webhook"), company: company, on: connection, logger: logger)
        return "drift: \(detail)"
    }
}
