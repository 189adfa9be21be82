import Foundation
import StockyardCore
import StockyardStore
import HummingbirdTesting
import Testing

/// The location tree through the API: Odoo's complete_name and parent_path, kept right by the database.
@Suite struct LocationTests {
    @Test func completeNameAndParentPathFollowTheTree() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withAPI { client in
            let wh = try await client.post(location: #"{"name":"WH","usage":"view"}"#, token: a.token)
            let zone = try await client.post(location: #"{"name":"Packing Zone","location_id":\#(wh.id)}"#, token: a.token)
            let bin = try await client.post(location: #"{"name":"Packing 1","location_id":\#(zone.id),"barcode":"PACK-1"}"#, token: a.token)
            #expect(wh.completeName == "WH" && wh.parentPath == "\(wh.id)/")
            #expect(zone.completeName == "WH/Packing Zone")
            #expect(bin.completeName == "WH/Packing Zone/Packing 1")
            #expect(bin.parentPath == "\(wh.id)/\(zone.id)/\(bin.id)/")
            #expect(bin.usage == .internal && bin.active)

            // Renaming a parent renames the whole subtree.
            _ = try await client.send(.patch, "/v1/locations/\(zone.id)", token: a.token, json: #"{"name":"Pack"}"#)
            let renamed = try await client.send(.get, "/v1/locations/\(bin.id)", token: a.token).decode(Location.self)
            #expect(renamed.completeName == "WH/Pack/Packing 1")

            // Moving a parent moves the subtree's paths too.
            let other = try await client.post(location: #"{"name":"WH2","usage":"view"}"#, token: a.token)
            let moved = try await client.send(.patch, "/v1/locations/\(zone.id)", token: a.token, json: #"{"location_id":\#(other.id)}"#)
            #expect(moved.status == .ok)
            let after = try await client.send(.get, "/v1/locations/\(bin.id)", token: a.token).decode(Location.self)
            #expect(after.completeName == "WH2/Pack/Packing 1")
            #expect(after.parentPath == "\(other.id)/\(zone.id)/\(bin.id)/")

            // child_of lists a subtree.
            let subtree = try await client.send(.get, "/v1/locations?child_of=\(other.id)", token: a.token).json()
            let ids = (subtree["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } ?? []
            #expect(Set(ids) == [Int(other.id), Int(zone.id), Int(bin.id)])
        }
    }

    @Test func aLocationCannotMoveUnderItselfOrItsDescendants() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withAPI { client in
            let top = try await client.post(location: #"{"name":"Top"}"#, token: a.token)
            let child = try await client.post(location: #"{"name":"Child","location_id":\#(top.id)}"#, token: a.token)
            let grandchild = try await client.post(location: #"{"name":"Grandchild","location_id":\#(child.id)}"#, token: a.token)
            for target in [top.id, child.id, grandchild.id] {
                let refused = try await client.send(.patch, "/v1/locations/\(top.id)", token: a.token, json: #"{"location_id":\#(target)}"#)
                #expect(refused.status == .unprocessableContent, "\(refused.text)")
                #expect(try refused.json()["field"] as? String == "location_id")
            }
            let unchanged = try await client.send(.get, "/v1/locations/\(grandchild.id)", token: a.token).decode(Location.self)
            #expect(unchanged.completeName == "Top/Child/Grandchild")
        }
    }

    @Test func barcodesAreUniquePerCompanyAndBadInputNamesTheField() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            _ = try await client.post(location: #"{"name":"Bin","barcode":"BIN-1"}"#, token: a.token)
            let duplicate = try await client.send(.post, "/v1/locations", token: a.token, json: #"{"name":"Other","barcode":"BIN-1"}"#)
            #expect(duplicate.status == .conflict)
            // Another company may use the same barcode.
            let elsewhere = try await client.send(.post, "/v1/locations", token: b.token, json: #"{"name":"Bin","barcode":"BIN-1"}"#)
            #expect(elsewhere.status == .created)
            for (body, field) in [(#"{"name":"A/B"}"#, "name"), (#"{"name":"X","usage":"production"}"#, "usage"),
                                  (#"{"name":""}"#, "name"), (#"{"usage":"internal"}"#, "name"),
                                  (#"{"name":"X","location_id":"one"}"#, "location_id")] {
                let response = try await client.send(.post, "/v1/locations", token: a.token, json: body)
                #expect(response.status == .unprocessableContent, "\(body) → \(response.text)")
                #expect(try response.json()["field"] as? String == field, "\(body) → \(response.text)")
            }
            let badFilter = try await client.send(.get, "/v1/locations?usage=warehouse", token: a.token)
            #expect(badFilter.status == .unprocessableContent)
        }
    }

    @Test func companyBCannotSeeUseOrChangeCompanyALocations() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let mine = try await client.post(location: #"{"name":"A-Stock","barcode":"A-1"}"#, token: a.token)
            #expect(try await client.send(.get, "/v1/locations/\(mine.id)", token: b.token).status == .notFound)
            let patch = try await client.send(.patch, "/v1/locations/\(mine.id)", token: b.token, json: #"{"name":"Hijacked"}"#)
            #expect(patch.status == .notFound)
            // A's location as B's parent: it does not exist for B.
            let child = try await client.send(.post, "/v1/locations", token: b.token, json: #"{"name":"X","location_id":\#(mine.id)}"#)
            #expect(child.status == .unprocessableContent)
            #expect(try child.json()["field"] as? String == "location_id")
            let listed = try await client.send(.get, "/v1/locations?barcode=A-1", token: b.token).json()
            #expect((listed["items"] as? [Any])?.isEmpty == true)
            let unchanged = try await client.send(.get, "/v1/locations/\(mine.id)", token: a.token).decode(Location.self)
            #expect(unchanged.name == "A-Stock")
        }
        // And in SQL as the app role: B's scope cannot hang a row under A's location.
        let aLocation = try await LocationRepository(database: environment.app).create(
            LocationDraft(name: "Direct", locationId: nil, usage: .internal, barcode: nil, active: true), company: a.id,
            logger: environment.logger)
        await expectSQLState("23503") {
            try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
                _ = try await connection.rows("INSERT INTO stockyard.stock_locations (company_id, name, location_id) VALUES (\(b.id), 'x', \(aLocation.id))")
            }
        }
    }

    @Test func writesNeedTheStockWriteScope() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let reader = try await environment.issueToken(company: a.id, scopes: [.stockRead])
        try await withAPI { client in
            let write = try await client.send(.post, "/v1/locations", token: reader.token, json: #"{"name":"X"}"#)
            let read = try await client.send(.get, "/v1/locations", token: reader.token)
            #expect(write.status == .forbidden && read.status == .ok)
        }
    }
}

extension TestClientProtocol {
    /// Creates a location and decodes it, failing the test on anything but 201.
    func post(location json: String, token: String) async throws -> Location {
        let response = try await send(.post, "/v1/locations", token: token, json: json)
        guard response.status == .created else { throw TestFailure("POST /v1/locations \(json) → \(response.status): \(response.text)") }
        return try response.decode(Location.self)
    }
}
