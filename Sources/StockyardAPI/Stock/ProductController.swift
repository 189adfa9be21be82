import Foundation
import Hummingbird
import StockyardCore
import StockyardStore

/// `/v1/products` and `/v1/product-categories`, with Odoo's field names.
struct ProductController {
    let products: ProductRepository

    /// A create or PATCH body: a field left out keeps its value (or default); `null` clears an optional field.
    struct FieldsRequest: Decodable {
        let fields: ProductFields

        enum CodingKeys: String, CodingKey { case name, defaultCode, barcode, categId, type, active }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            var fields = ProductFields()
            fields.name = try container.decodePatch(String.self, forKey: .name)
            fields.defaultCode = try container.decodePatch(String.self, forKey: .defaultCode)
            fields.barcode = try container.decodePatch(String.self, forKey: .barcode)
            fields.categId = try container.decodePatch(Int64.self, forKey: .categId)
            fields.type = try container.decodePatch(ProductType.self, forKey: .type)
            fields.active = try container.decodePatch(Bool.self, forKey: .active)
            self.fields = fields
        }
    }

    struct CategoryRequest: Decodable { let name: String }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("products", use: list)
        group.post("products", use: create)
        group.get("products/:id", use: get)
        group.patch("products/:id", use: update)
        group.get("product-categories", use: listCategories)
        group.post("product-categories", use: createCategory)
    }

    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<Product> {
        let principal = try context.require(.stockWrite)
        let input = try await request.decodeJSON(as: FieldsRequest.self, context: context)
        let product = try await products.create(input.fields, company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .created, response: product)
    }

    func get(request: Request, context: AppRequestContext) async throws -> Product {
        let principal = try context.require(.stockRead)
        let id = try context.parameters.requireID(resource: "product")
        guard let product = try await products.get(id: id, company: principal.companyID, logger: context.logger) else {
            throw AppError.notFound("product")
        }
        return product
    }

    func list(request: Request, context: AppRequestContext) async throws -> Page<Product> {
        let principal = try context.require(.stockRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        let filter = ProductFilter(
            defaultCode: query.get("default_code"), barcode: query.get("barcode"),
            categId: try query.get("categ_id").map { try QueryValue.id($0, field: "categ_id") },
            active: try query.get("active").map { try QueryValue.bool($0, field: "active") })
        return try await products.list(company: principal.companyID, filter: filter, page: page, logger: context.logger)
    }

    func update(request: Request, context: AppRequestContext) async throws -> Product {
        let principal = try context.require(.stockWrite)
        let id = try context.parameters.requireID(resource: "product")
        let input = try await request.decodeJSON(as: FieldsRequest.self, context: context)
        guard let product = try await products.update(id: id, fields: input.fields, company: principal.companyID,
                                                      logger: context.logger) else {
            throw AppError.notFound("product")
        }
        return product
    }

    func createCategory(request: Request, context: AppRequestContext) async throws -> EditedResponse<ProductCategory> {
        let principal = try context.require(.stockWrite)
        let input = try await request.decodeJSON(as: CategoryRequest.self, context: context)
        let category = try await products.createCategory(name: input.name, company: principal.companyID, logger: context.logger)
        return EditedResponse(status: .created, response: category)
    }

    func listCategories(request: Request, context: AppRequestContext) async throws -> Page<ProductCategory> {
        let principal = try context.require(.stockRead)
        let page = try PageRequest(limit: request.uri.queryParameters.get("limit"), cursor: request.uri.queryParameters.get("cursor"))
        return try await products.listCategories(company: principal.companyID, page: page, logger: context.logger)
    }
}
