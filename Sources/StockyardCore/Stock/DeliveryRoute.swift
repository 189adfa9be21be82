/// The steps a warehouse's delivery route takes, as Odoo's pull rules chain them: each step a move from one
/// location to the next, the first taken from stock, the later ones made to order from the step before.
public enum DeliveryRoute {
    /// One step: which of the warehouse's operation types runs it, and between which of its locations.
    public struct Step: Sendable, Equatable {
        public enum Place: Sendable, Equatable { case stock, packingZone, output, destination }
        public enum OperationType: Sendable, Equatable { case pick, pack, delivery }
        public let type: OperationType
        public let from: Place
        public let to: Place
        public let makeToOrder: Bool
    }

    /// ship_only: stock → destination. pick_ship: stock → output → destination.
    /// pick_pack_ship: stock → packing zone → output → destination.
    public static func steps(for delivery: String) -> [Step] {
        switch delivery {
        case "pick_ship":
            [Step(type: .pick, from: .stock, to: .output, makeToOrder: false),
             Step(type: .delivery, from: .output, to: .destination, makeToOrder: true)]
        case "pick_pack_ship":
            [Step(type: .pick, from: .stock, to: .packingZone, makeToOrder: false),
             Step(type: .pack, from: .packingZone, to: .output, makeToOrder: true),
             Step(type: .delivery, from: .output, to: .destination, makeToOrder: true)]
        default:
            [Step(type: .delivery, from: .stock, to: .destination, makeToOrder: false)]
        }
    }
}
