import Foundation

/// A transfer's state (Odoo's `stock.picking.state`), always computed from its moves, never set by hand.
public enum PickingState: String, Sendable, Codable, CaseIterable {
    case draft, waiting, confirmed, assigned, done, cancel

    /// How a transfer ships: as soon as something is ready (`direct`), or only when everything is (`one`).
    public enum MoveType: String, Sendable, Codable { case direct, one }

    /// What the state computation needs of a move.
    public struct Move: Sendable, Equatable {
        public let state: MoveState
        /// The demand (`product_uom_qty`).
        public let demand: Decimal

        public init(state: MoveState, demand: Decimal) {
            self.state = state
            self.demand = demand
        }
    }

    /// Odoo 17's `stock.picking._compute_state`: draft if any move is draft (or there are none), cancel if all
    /// are cancelled, done if all are done or cancelled, else the relevant state among the open moves, where
    /// partially available counts as ready.
    public static func compute(_ moves: [Move], moveType: MoveType = .direct) -> PickingState {
        if moves.isEmpty || moves.contains(where: { $0.state == .draft }) { return .draft }
        if moves.allSatisfy({ $0.state == .cancel }) { return .cancel }
        if moves.allSatisfy({ $0.state == .cancel || $0.state == .done }) { return .done }
        switch relevantState(moves, moveType: moveType) {
        case .partiallyAvailable, .assigned: return .assigned
        case .waiting: return .waiting
        case .confirmed: return .confirmed
        case .draft: return .draft
        case .done: return .done
        case .cancel: return .cancel
        }
    }

    /// Odoo 17's `stock.move._get_relevant_state_among_moves`.
    static func relevantState(_ moves: [Move], moveType: MoveType) -> MoveState {
        // Open moves by readiness: confirmed, partially available, waiting, assigned (then by demand).
        let rank: [MoveState: Int] = [.assigned: 4, .waiting: 3, .partiallyAvailable: 2, .confirmed: 1]
        let todo = moves
            .filter { $0.state != .cancel && $0.state != .done && !($0.state == .assigned && $0.demand == 0) }
            .sorted { (rank[$0.state] ?? 0, $0.demand) < (rank[$1.state] ?? 0, $1.demand) }
        guard let first = todo.first, let last = todo.last else { return .assigned }
        switch moveType {
        case .one:
            if todo.allSatisfy({ $0.demand == 0 }) { return .assigned }
            return first.state == .confirmed || first.state == .partiallyAvailable ? .confirmed : first.state
        case .direct:
            if first.state != .assigned && todo.contains(where: { $0.state == .assigned || $0.state == .partiallyAvailable }) {
                return .partiallyAvailable
            }
            return last.state == .confirmed && last.demand == 0 ? .assigned : last.state
        }
    }
}
