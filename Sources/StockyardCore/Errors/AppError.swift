/// A failure the client caused or must know about. The API turns each into problem+json with a stable type.
public enum AppError: Error, Equatable, Sendable {
    /// 401: no credential, or one that is unknown, revoked or expired.
    case unauthorized(String)
    /// 403: a valid credential without the needed scope.
    case forbidden(String)
    /// 404: the resource does not exist for this company (another company's rows are indistinguishable from none).
    case notFound(String)
    /// 409: the request conflicts with the current state (a duplicate, a wrong state).
    case conflict(String)
    /// 400/422: a field's value is wrong. `field` names it the way the client sent it.
    case invalid(field: String?, detail: String)
    /// 400: the body is not JSON at all.
    case malformed(String)
    /// 413: the body is larger than the configured limit.
    case tooLarge(limit: Int)
    /// 503: a dependency (the database) is not reachable right now.
    case unavailable(String)

    public init(_ input: InputError) {
        switch input.kind {
        case .malformed: self = .malformed(input.detail)
        case .missing, .wrongType, .invalidValue: self = .invalid(field: input.field, detail: input.detail)
        }
    }
}
