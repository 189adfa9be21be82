/// The push rules of a warehouse's reception route, as Odoo 17 creates them: goods received into Input move on
/// to Stock (two steps) or through Quality Control to Stock (three steps). A move confirmed into the rule's
/// source gets the next move, made to order and chained to it, when it is confirmed.
public enum ReceptionRoute {
    public enum Place: Sendable, Equatable { case input, qualityControl, stock }
    public enum OperationType: Sendable, Equatable { case qualityControl, storage }

    public struct Push: Sendable, Equatable {
        public let type: OperationType
        public let from: Place
        public let to: Place

        public init(type: OperationType, from: Place, to: Place) {
            self.type = type
            self.from = from
            self.to = to
        }
    }

    /// one_step: none (receipts go straight to Stock). two_steps: input → stock (Storage).
    /// three_steps: input → quality control (Quality Control), quality control → stock (Storage).
    public static func pushes(for reception: String) -> [Push] {
        switch reception {
        case "two_steps":
            [Push(type: .storage, from: .input, to: .stock)]
        case "three_steps":
            [Push(type: .qualityControl, from: .input, to: .qualityControl),
             Push(type: .storage, from: .qualityControl, to: .stock)]
        default:
            []
        }
    }

    /// The push that applies to a move arriving at `place`, if any.
    public static func push(for reception: String, arrivingAt place: Place) -> Push? {
        pushes(for: reception).first { $0.from == place }
    }
}
