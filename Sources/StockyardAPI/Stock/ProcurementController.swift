import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// `POST /v1/procurements`: run a warehouse's delivery route for a product, as releasing an order does.
struct ProcurementController {
    let procurements: ProcurementRepository

    struct RunRequest: Decodable {
        let productId: Int64
        let quantity: Decimal
        let warehouseId: Int64
        let locationDestId: Int64?
        let groupId: Int64?
        let groupName: String?
        let origin: String?
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("procurements", use: run)
    }

    func run(request: Request, context: AppRequestContext) async throws -> EditedResponse<ProcurementRepository.Result> {
        let principal = try context.require(.stockWrite)
        let input = try await request.decodeJSON(as: RunRequest.self, context: context)
        let result = try await procurements.run(
            .init(productId: input.productId, quantity: input.quantity, warehouseId: input.warehouseId,
                  locationDestId: input.locationDestId, groupId: input.groupId, groupName: input.groupName, origin: input.origin),
            company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .created, response: result)
    }
}
