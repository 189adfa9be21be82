import Foundation
import Hummingbird

/// `GET /openapi.yaml`: the API description, bundled with the binary.
struct OpenAPIController {
    /// The document's bytes, read once from the bundle.
    static let document: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let data = try? Data(contentsOf: url) else { return ByteBuffer(string: "") }
        return ByteBuffer(bytes: data)
    }()

    func register(on router: Router<AppRequestContext>) {
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                     body: .init(byteBuffer: Self.document))
        }
    }
}
