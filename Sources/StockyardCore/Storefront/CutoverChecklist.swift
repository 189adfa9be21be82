/// The inventory-cutover runbook's checklist, computed from data (issue 6, item 8). Going live is refused while a
/// required item is open, unless forced with a recorded reason.
public enum CutoverChecklist {
    /// What the checklist is computed from: counts the database answers in one query.
    public struct Facts: Sendable, Equatable {
        public var activeLocations = 0
        public var unclassifiedLocations = 0
        public var pendingLocations = 0
        public var enabledLocations = 0
        /// Enabled locations with a buffer but no note saying why, and excluded ones with no note saying why.
        public var undocumentedLocations = 0
        /// The SKUs the checklist was asked about (the top sellers), or every active variant when none were named.
        public var topSKUs = 0
        public var unlinkedTopSKUs = 0
        public var linkedVariants = 0
        public var unconfirmedLinks = 0
        public var directionChosen = false
        public var previews = 0
        /// Enabled locations no storefront stock event (inventory_levels/update) has been received for.
        public var locationsWithoutStockEvent = 0
        /// Dead storefront jobs nobody has retried or cancelled.
        public var deadJobs = 0
        public var monitoringOwner: String?

        public init() {}
    }

    public struct Item: Sendable, Codable, Equatable {
        public let key: String
        public let title: String
        public let done: Bool
        public let required: Bool
        public let detail: String
    }

    public static func items(_ facts: Facts) -> [Item] {
        func item(_ key: String, _ title: String, _ done: Bool, _ detail: String) -> Item {
            Item(key: key, title: title, done: done, required: true, detail: detail)
        }
        return [
            item("locations_listed", "Storefront locations listed", facts.activeLocations > 0,
                 "\(facts.activeLocations) location(s) imported from the storefront"),
            item("locations_classified", "Every location classified", facts.activeLocations > 0 && facts.unclassifiedLocations == 0,
                 "\(facts.unclassifiedLocations) without a kind (online, retail, 3pl, pickup, marketplace, reserve)"),
            item("locations_mapped_or_excluded", "Every location mapped or deliberately excluded",
                 facts.activeLocations > 0 && facts.pendingLocations == 0 && facts.enabledLocations > 0,
                 "\(facts.pendingLocations) undecided, \(facts.enabledLocations) enabled"),
            item("top_skus_linked", "The top-selling SKUs are linked", facts.topSKUs > 0 && facts.unlinkedTopSKUs == 0,
                 "\(facts.topSKUs - facts.unlinkedTopSKUs) of \(facts.topSKUs) linked"),
            item("matching_confirmed", "Automatic matches confirmed by a person", facts.linkedVariants > 0 && facts.unconfirmedLinks == 0,
                 "\(facts.unconfirmedLinks) of \(facts.linkedVariants) links not confirmed"),
            item("direction_set", "Inventory direction chosen", facts.directionChosen,
                 facts.directionChosen ? "chosen" : "still the default; set inventory_direction on the shop"),
            item("buffers_documented", "Buffers and exclusions documented", facts.undocumentedLocations == 0,
                 "\(facts.undocumentedLocations) location(s) with a buffer or an exclusion but no note"),
            item("opening_stock_reviewed", "Opening stock reviewed", facts.previews > 0,
                 facts.previews > 0 ? "\(facts.previews) preview(s)" : "run a cutover preview"),
            item("stock_event_per_location", "One stock event observed per enabled location",
                 facts.enabledLocations > 0 && facts.locationsWithoutStockEvent == 0,
                 "\(facts.locationsWithoutStockEvent) enabled location(s) without an inventory_levels/update"),
            item("failed_jobs_reviewed", "Failed sync jobs reviewed", facts.deadJobs == 0,
                 "\(facts.deadJobs) dead storefront job(s) to retry or cancel"),
            item("monitoring_owner_set", "Monitoring owner set", facts.monitoringOwner != nil,
                 facts.monitoringOwner.map { "owned by \($0)" } ?? "set monitoring_owner on the shop"),
        ]
    }

    /// The required items still open.
    public static func open(_ items: [Item]) -> [Item] { items.filter { $0.required && !$0.done } }
}
