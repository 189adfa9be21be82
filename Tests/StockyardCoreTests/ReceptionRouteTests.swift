import StockyardCore
import Testing

/// Odoo 17's reception push rules per `reception_steps`.
@Suite struct ReceptionRouteTests {
    @Test func oneStepReceivesStraightIntoStock() {
        #expect(ReceptionRoute.pushes(for: "one_step").isEmpty)
        #expect(ReceptionRoute.push(for: "one_step", arrivingAt: .input) == nil)
    }

    @Test func twoStepsStoreFromInput() {
        #expect(ReceptionRoute.push(for: "two_steps", arrivingAt: .input) == .init(type: .storage, from: .input, to: .stock))
        #expect(ReceptionRoute.push(for: "two_steps", arrivingAt: .qualityControl) == nil)
        #expect(ReceptionRoute.push(for: "two_steps", arrivingAt: .stock) == nil, "stock is the end of the route")
    }

    @Test func threeStepsGoThroughQualityControl() {
        #expect(ReceptionRoute.push(for: "three_steps", arrivingAt: .input) == .init(type: .qualityControl, from: .input, to: .qualityControl))
        #expect(ReceptionRoute.push(for: "three_steps", arrivingAt: .qualityControl) == .init(type: .storage, from: .qualityControl, to: .stock))
        #expect(ReceptionRoute.push(for: "three_steps", arrivingAt: .stock) == nil)
    }
}
