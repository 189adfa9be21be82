/// The checkout-sync assistant's plan (OCA `stock_checkout_sync`), from the groups found in SQL: which group the
/// operator handles now, which are done or skipped, and whether a skip is possible.
///
/// A group is a flagged destination transfer with the open moves that feed it, whatever transfer they are in.
/// Groups come in the order their destination transfers are first reached by the source transfer's moves (by
/// sequence, then id); a group with no open move is left out.
public struct CheckoutSyncPlan: Sendable, Equatable {
    public struct Group: Sendable, Equatable {
        public let destPickingID: Int64
        public let destPickingName: String
        /// Ascending.
        public let moveIDs: [Int64]

        public init(destPickingID: Int64, destPickingName: String, moveIDs: [Int64]) {
            self.destPickingID = destPickingID
            self.destPickingName = destPickingName
            self.moveIDs = moveIDs.sorted()
        }

        /// The assistant's line for the group: "PACK: 3 move(s)".
        public var summary: String { "\(destPickingName): \(moveIDs.count) move(s)" }
    }

    public let groups: [Group]
    /// The first group not yet done or skipped; nil when every group is handled.
    public let current: Group?
    /// Destination transfers handled (synced or skipped), in plan order.
    public let done: [Int64]
    /// Another unhandled group remains after the current one.
    public let canSkip: Bool

    /// `groups` in plan order; `handled`: destination transfers already synced or skipped (others are ignored).
    public init(groups: [Group], handled: Set<Int64>) {
        let groups = groups.filter { !$0.moveIDs.isEmpty }
        self.groups = groups
        self.done = groups.map(\.destPickingID).filter(handled.contains)
        let open = groups.filter { !handled.contains($0.destPickingID) }
        self.current = open.first
        self.canSkip = open.count > 1
    }

    public var summary: [String] { groups.map(\.summary) }

    public func group(destPickingID: Int64) -> Group? { groups.first { $0.destPickingID == destPickingID } }

    /// The location to suggest: the one destination every move and open line of the group already shares, if
    /// there is exactly one.
    public static func suggestedLocation(moveDestinations: [Int64], lineDestinations: [Int64]) -> Int64? {
        let all = Set(moveDestinations + lineDestinations)
        return all.count == 1 ? all.first : nil
    }
}
