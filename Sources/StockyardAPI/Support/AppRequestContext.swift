import Foundation
import Hummingbird
import StockyardCore

/// Per-request state: the authenticated principal (set by `TokenAuthenticator`) and the JSON coders.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who is calling; nil until the authenticator has run.
    public var principal: Principal?
    /// The request id echoed in `X-Request-Id`, logs and problem bodies.
    public var requestID: String = ""
    /// The body limit (`STOCKYARD_MAX_BODY_BYTES`), set by `BodyLimitMiddleware` for everything that reads the body.
    public var maxUploadSize: Int = StockyardConfig.defaults.maxBodyBytes

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }

    /// The caller, or 401. Every tenant handler starts here: the tenant comes from the credential, never the URL.
    public func requirePrincipal() throws(AppError) -> Principal {
        guard let principal else { throw .unauthorized("a bearer token is required") }
        return principal
    }

    /// The caller if it holds `scope`; 401 without a principal, 403 without the scope.
    public func require(_ scope: Scope) throws(AppError) -> Principal {
        let principal = try requirePrincipal()
        try principal.require(scope)
        return principal
    }
}
