import Foundation
import StockyardCore
import Testing

/// Odoo 17's picking state from its moves.
@Suite struct PickingStateTests {
    func moves(_ pairs: (MoveState, Decimal)...) -> [PickingState.Move] { pairs.map { PickingState.Move(state: $0.0, demand: $0.1) } }

    @Test func terminalAndDraftStates() {
        #expect(PickingState.compute([]) == .draft)
        #expect(PickingState.compute(moves((.draft, 1), (.assigned, 1))) == .draft)
        #expect(PickingState.compute(moves((.cancel, 1), (.cancel, 2))) == .cancel)
        #expect(PickingState.compute(moves((.done, 1), (.cancel, 2))) == .done)
    }

    @Test func directTransfersAreReadyAsSoonAsSomethingIs() {
        #expect(PickingState.compute(moves((.assigned, 1), (.assigned, 2))) == .assigned)
        #expect(PickingState.compute(moves((.assigned, 1), (.confirmed, 2))) == .assigned, "partially ready ships what it can")
        #expect(PickingState.compute(moves((.partiallyAvailable, 5))) == .assigned)
        #expect(PickingState.compute(moves((.confirmed, 1), (.confirmed, 2))) == .confirmed)
        #expect(PickingState.compute(moves((.waiting, 1), (.waiting, 2))) == .waiting)
        #expect(PickingState.compute(moves((.confirmed, 1), (.waiting, 2))) == .waiting)
        #expect(PickingState.compute(moves((.done, 1), (.confirmed, 2))) == .confirmed, "done moves do not count")
        #expect(PickingState.compute(moves((.assigned, 0), (.confirmed, 2))) == .confirmed, "an empty assigned move is ignored")
    }

    @Test func allAtOnceTransfersWaitForTheLeastReadyMove() {
        #expect(PickingState.compute(moves((.assigned, 1), (.confirmed, 2)), moveType: .one) == .confirmed)
        #expect(PickingState.compute(moves((.assigned, 1), (.partiallyAvailable, 2)), moveType: .one) == .confirmed)
        #expect(PickingState.compute(moves((.assigned, 1), (.waiting, 2)), moveType: .one) == .waiting)
        #expect(PickingState.compute(moves((.assigned, 1), (.assigned, 2)), moveType: .one) == .assigned)
    }
}
