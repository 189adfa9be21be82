import StockyardCore
import Testing

/// The assistant's plan from the groups SQL found: current group, done list, skip, summary, suggestion.
@Suite struct CheckoutSyncPlanTests {
    let pack = CheckoutSyncPlan.Group(destPickingID: 10, destPickingName: "WH/PACK/00001", moveIDs: [3, 1, 2])
    let post = CheckoutSyncPlan.Group(destPickingID: 20, destPickingName: "WH/PPO/00001", moveIDs: [4])
    let empty = CheckoutSyncPlan.Group(destPickingID: 30, destPickingName: "WH/PACK/00002", moveIDs: [])

    @Test func theFirstOpenGroupIsCurrentAndASkipNeedsAnotherOpenGroup() {
        let plan = CheckoutSyncPlan(groups: [pack, post], handled: [])
        #expect(plan.current == pack && plan.done.isEmpty && plan.canSkip)
        #expect(plan.summary == ["WH/PACK/00001: 3 move(s)", "WH/PPO/00001: 1 move(s)"])
        #expect(pack.moveIDs == [1, 2, 3], "moves ascending by id")

        let next = CheckoutSyncPlan(groups: [pack, post], handled: [10])
        #expect(next.current == post && next.done == [10] && !next.canSkip)

        let skippedFirstHandledLast = CheckoutSyncPlan(groups: [pack, post], handled: [20])
        #expect(skippedFirstHandledLast.current == pack && skippedFirstHandledLast.done == [20] && !skippedFirstHandledLast.canSkip)
    }

    @Test func everythingHandledLeavesNoCurrentGroupAndUnknownIdsAreIgnored() {
        let plan = CheckoutSyncPlan(groups: [pack, post], handled: [20, 10, 99])
        #expect(plan.current == nil && plan.done == [10, 20] && !plan.canSkip)
    }

    @Test func emptyGroupsAreLeftOut() {
        let plan = CheckoutSyncPlan(groups: [empty, post], handled: [])
        #expect(plan.groups == [post] && plan.current == post && !plan.canSkip)
        #expect(CheckoutSyncPlan(groups: [], handled: []).current == nil)
    }

    @Test func aLocationIsSuggestedOnlyWhenMovesAndLinesShareOne() {
        #expect(CheckoutSyncPlan.suggestedLocation(moveDestinations: [5, 5], lineDestinations: [5]) == 5)
        #expect(CheckoutSyncPlan.suggestedLocation(moveDestinations: [5, 5], lineDestinations: [6]) == nil)
        #expect(CheckoutSyncPlan.suggestedLocation(moveDestinations: [5, 7], lineDestinations: []) == nil)
        #expect(CheckoutSyncPlan.suggestedLocation(moveDestinations: [], lineDestinations: []) == nil)
    }
}
