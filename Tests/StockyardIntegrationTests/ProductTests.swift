import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Products through the API: Odoo's fields, SKU and barcode unique per company, tenant isolation.
@Suite struct ProductTests {
    @Test func createReadFilterAndPatchAProduct() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withAPI { client in
            let category = try await client.send(.post, "/v1/product-categories", token: a.token, json: #"{"name":"Shirts"}"#)
            #expect(category.status == .created)
            let categoryID = try #require(try category.json()["id"] as? Int)
            let created = try await client.send(.post, "/v1/products", token: a.token,
                                                json: #"{"name":"Tee","default_code":"TEE-S","barcode":"4006381333931","categ_id":\#(categoryID)}"#)
            #expect(created.status == .created, "\(created.text)")
            let tee = try created.decode(Product.self)
            #expect(tee.type == .product && tee.active && tee.categId == Int64(categoryID))

            let bySKU = try await client.send(.get, "/v1/products?default_code=TEE-S", token: a.token).json()
            #expect((bySKU["items"] as? [[String: Any]])?.first?["id"] as? Int == Int(tee.id))

            let patched = try await client.send(.patch, "/v1/products/\(tee.id)", token: a.token,
                                                json: #"{"barcode":null,"active":false,"name":"Tee (S)"}"#)
            let after = try patched.decode(Product.self)
            #expect(after.barcode == nil && !after.active && after.name == "Tee (S)" && after.defaultCode == "TEE-S")
        }
    }

    @Test func skuAndBarcodeAreUniquePerCompany() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let first = try await client.send(.post, "/v1/products", token: a.token, json: #"{"name":"A","default_code":"SKU-1","barcode":"111"}"#)
            let sameSKU = try await client.send(.post, "/v1/products", token: a.token, json: #"{"name":"B","default_code":"SKU-1"}"#)
            let sameBarcode = try await client.send(.post, "/v1/products", token: a.token, json: #"{"name":"C","barcode":"111"}"#)
            let otherCompany = try await client.send(.post, "/v1/products", token: b.token, json: #"{"name":"A","default_code":"SKU-1","barcode":"111"}"#)
            let noSKU = try await client.send(.post, "/v1/products", token: a.token, json: #"{"name":"D"}"#)
            let noSKUAgain = try await client.send(.post, "/v1/products", token: a.token, json: #"{"name":"E"}"#)
            #expect(first.status == .created && otherCompany.status == .created)
            #expect(sameSKU.status == .conflict && sameBarcode.status == .conflict)
            #expect(try sameBarcode.json()["detail"] as? String == "a product with barcode '111' already exists")
            #expect(noSKU.status == .created && noSKUAgain.status == .created, "many products may have no SKU")
        }
    }

    @Test func badProductInputNamesTheField() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withAPI { client in
            for (body, field) in [(#"{"default_code":"X"}"#, "name"), (#"{"name":"X","type":"kit"}"#, "type"),
                                  (#"{"name":"X","categ_id":999999999}"#, "categ_id"), (#"{"name":" "}"#, "name"),
                                  (#"{"name":"X","active":"yes"}"#, "active")] {
                let response = try await client.send(.post, "/v1/products", token: a.token, json: body)
                #expect(response.status == .unprocessableContent, "\(body) → \(response.text)")
                #expect(try response.json()["field"] as? String == field, "\(body) → \(response.text)")
            }
        }
    }

    @Test func companyBCannotSeeOrChangeCompanyAProductsOrUseItsCategories() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let product = try await client.send(.post, "/v1/products", token: a.token, json: #"{"name":"Secret","default_code":"SEC"}"#).decode(Product.self)
            let category = try await client.send(.post, "/v1/product-categories", token: a.token, json: #"{"name":"Private"}"#)
            let categoryID = try #require(try category.json()["id"] as? Int)
            let read = try await client.send(.get, "/v1/products/\(product.id)", token: b.token)
            let patch = try await client.send(.patch, "/v1/products/\(product.id)", token: b.token, json: #"{"name":"Mine"}"#)
            let search = try await client.send(.get, "/v1/products?default_code=SEC", token: b.token).json()
            let borrow = try await client.send(.post, "/v1/products", token: b.token, json: #"{"name":"X","categ_id":\#(categoryID)}"#)
            let categories = try await client.send(.get, "/v1/product-categories", token: b.token).json()
            #expect(read.status == .notFound && patch.status == .notFound)
            #expect((search["items"] as? [Any])?.isEmpty == true)
            #expect(borrow.status == .unprocessableContent)
            #expect((categories["items"] as? [Any])?.isEmpty == true)
            let unchanged = try await client.send(.get, "/v1/products/\(product.id)", token: a.token).decode(Product.self)
            #expect(unchanged.name == "Secret")
        }
    }
}
