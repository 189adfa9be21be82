import Foundation
import Hummingbird
import StockyardCore

/// The simulator's request context: snake_case JSON both ways, like Shopify's REST payloads and Stockyard's API.
public struct SimulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }
}
