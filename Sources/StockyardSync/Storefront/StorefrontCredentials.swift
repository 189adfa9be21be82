import StockyardCore
import StockyardStore

extension StorefrontClient.Credentials {
    /// Opens a shop's sealed token. Without the key (or with another key) no storefront call can be made: the job
    /// fails permanently and says why, since retrying cannot help.
    static func open(_ connection: ShopConnection, secrets: SecretBox?) throws -> Self {
        guard let secrets else { throw JobFailure.permanent("STOCKYARD_SECRET_KEY is not set, so the shop's access token cannot be opened") }
        do {
            let token = try secrets.open(connection.accessTokenSealed, boundTo: ShopRepository.sealingContext(shop: connection.shopID))
            return Self(baseURL: connection.apiBaseUrl, apiVersion: connection.apiVersion, accessToken: token)
        } catch {
            throw JobFailure.permanent("the shop's access token does not open with this STOCKYARD_SECRET_KEY")
        }
    }
}

extension StorefrontClient.Failure {
    /// The job failure a storefront failure becomes: everything is retried; a throttle defers the job by the wait
    /// it names without spending an attempt.
    var jobFailure: JobFailure {
        switch self {
        case .throttled(let after): .deferred("the storefront throttled the call", wait: after)
        case .unavailable(let status): .retryable("the storefront answered HTTP \(status)")
        case .unauthorized: .retryable("the storefront refused the access token")
        case .malformed(let detail): .retryable("the storefront's answer was not understood: \(detail)")
        case .transport(let detail): .retryable("the storefront could not be reached: \(detail)")
        }
    }
}
