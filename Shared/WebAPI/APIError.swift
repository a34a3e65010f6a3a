public import Hummingbird
import Foundation

/// The one error shape of every 4xx and 5xx, Stripe-like:
/// `{"error": {"type": "invalid_request_error", "code": "amount_too_large", "message": "…", "param": "amount"}}`.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var type: String
    public var code: String
    public var message: String
    public var param: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, type: String = "invalid_request_error", code: String, message: String,
                param: String? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    struct Body: Codable {
        struct Detail: Codable {
            var type: String
            var code: String
            var message: String
            var param: String?
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: .init(type: type, code: code, message: message, param: param))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: try JSONCoders.encoder.encode(body))))
    }
}

extension APIError {
    public static func invalid(_ message: String, param: String? = nil, code: String = "parameter_invalid") -> APIError {
        APIError(.badRequest, code: code, message: message, param: param)
    }

    /// A well-formed request the rules refuse (amounts, card numbers, states).
    public static func unprocessable(_ message: String, param: String? = nil, code: String) -> APIError {
        APIError(.unprocessableContent, code: code, message: message, param: param)
    }

    public static func notFound(_ what: String, _ id: String) -> APIError {
        APIError(.notFound, code: "resource_missing", message: "no \(what) '\(id)'")
    }

    public static func unauthenticated(_ code: String, _ message: String) -> APIError {
        var error = APIError(.unauthorized, type: "authentication_error", code: code, message: message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    public static func forbidden(_ permission: Permission, role: Role) -> APIError {
        APIError(.forbidden, type: "permission_error", code: "permission_denied",
                 message: "the role '\(role.rawValue)' does not have the permission '\(permission.rawValue)'")
    }

    public static func server(requestId: String) -> APIError {
        APIError(.internalServerError, type: "api_error", code: "internal_error",
                 message: "something went wrong on our side; nothing was changed unless the answer said so. Quote request id \(requestId)")
    }
}

/// Shared, configured once: dates as RFC 3339, keys in a stable order (documents and tests compare text).
public enum JSONCoders {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
