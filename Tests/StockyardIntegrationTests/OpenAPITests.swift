import Foundation
import StockyardAPI
import StockyardCore
import Testing

/// `openapi.yaml` and the router describe the same API: no undocumented route, no documented ghost.
@Suite struct OpenAPITests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() async throws {
        let environment = try await TestEnvironment.get()
        let routed = Set(buildRouter(environment.apiDependencies()).routes.map { route in
            "\(route.method.rawValue) " + route.path.components.map { component in
                let text = "\(component)"
                return text.hasPrefix(":") ? "{\(text.dropFirst())}" : text
            }.reduce("") { $0 + "/" + $1 }
        })
        let documented = try documentedOperations()
        #expect(routed.subtracting(documented).isEmpty, "routed but not in openapi.yaml: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "in openapi.yaml but not routed: \(documented.subtracting(routed).sorted())")
    }

    @Test func theDocumentIsServed() async throws {
        let response = try await withAPI { try await $0.send(.get, "/openapi.yaml") }
        #expect(response.status == .ok)
        #expect(response.text.hasPrefix("openapi: 3.1"))
    }

    /// "GET /v1/tokens/{id}"-style operations from the `paths:` block (two-space paths, four-space methods).
    private func documentedOperations() throws -> Set<String> {
        let file = URL(fileURLWithPath: TestEnvironment.migrationsDirectory).deletingLastPathComponent()
            .appendingPathComponent("openapi.yaml")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in lines {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:"; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if line.hasSuffix(":"), methods.contains(String(key)) { operations.insert("\(key.uppercased()) \(path)") }
            }
        }
        return operations
    }
}
