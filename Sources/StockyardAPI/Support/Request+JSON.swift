import Foundation
import Hummingbird
import StockyardCore

extension Request {
    /// Decodes a JSON body (whatever Content-Type says, as curl users expect); a decoding failure becomes a 400/422 naming the field.
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> T {
        let body = try await self.body.collect(upTo: context.maxUploadSize)
        do {
            return try JSONCoding.decoder.decode(T.self, from: body)
        } catch let error as DecodingError {
            throw AppError(InputError(error))
        }
    }
}

extension Request {
    /// Like `decodeJSON`, for bodies whose every field is optional: an empty body is nil.
    func decodeJSONOrEmpty<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> T? {
        let body = try await self.body.collect(upTo: context.maxUploadSize)
        guard body.readableBytes > 0 else { return nil }
        do {
            return try JSONCoding.decoder.decode(T.self, from: body)
        } catch let error as DecodingError {
            throw AppError(InputError(error))
        }
    }
}

extension Parameters {
    /// A path id: a positive integer, or 404 (an id that cannot exist is simply not found).
    func requireID(_ name: String = "id", resource: String) throws(AppError) -> Int64 {
        guard let raw = get(name), let id = Int64(raw), id > 0 else { throw .notFound(resource) }
        return id
    }
}
