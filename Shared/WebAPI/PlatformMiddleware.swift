import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
import Privacy

/// Runs around every route of every service: takes or makes the request id (echoed, logged, carried as
/// the correlation id of caused events), requires a verified token outside `PublicRoutes`, and turns
/// every error into the one JSON error shape.
public struct PlatformMiddleware: RouterMiddleware {
    public typealias Context = ClinicRequestContext
    let verifier: TokenVerifier

    public init(verifier: TokenVerifier) { self.verifier = verifier }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestId = Self.requestId(from: request.headers[.requestId])
        context.requestId = requestId
        context.logger[metadataKey: "request_id"] = "\(requestId)"
        let started = ContinuousClock.now
        var response: Response
        do {
            if PublicRoutes.entry(for: request.uri.path) == nil {
                let caller = try await verifier.caller(authorization: request.headers[.authorization])
                context.caller = caller
                context.logger[metadataKey: "clinic_id"] = "\(caller.clinicId)"
                context.logger[metadataKey: "subject"] = "\(caller.subject)"
            }
            response = try await next(request, context)
        } catch {
            let apiError = Self.apiError(for: error, requestId: requestId)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            response = try apiError.response(from: request, context: context)
        }
        response.headers[.requestId] = requestId
        let elapsed = (ContinuousClock.now - started).components
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(Self.loggable(request.uri.path))",
            "status": "\(response.status.code)", "ms": "\(elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000)",
        ])
        return response
    }

    /// The path as it may be logged: never a card number, even one typed into an id.
    static func loggable(_ path: String) -> String {
        CardNumberGuard.mayContainCardNumber(Array(path.utf8)) ? CardNumbers.redact(path) : path
    }

    /// A caller's id when it is a sensible token (so logs stay clean), else a new one.
    static func requestId(from header: String?) -> String {
        if let header, (1...128).contains(header.count),
           header.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_.:".unicodeScalars.contains($0) }),
           header.allSatisfy(\.isASCII), !CardNumbers.containsCardNumber(header) {
            return header
        }
        return UUID().uuidString.lowercased()
    }

    static func apiError(for error: any Error, requestId: String) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            switch error.status {
            case .notFound: return APIError(.notFound, code: "route_not_found", message: error.body ?? "no such route")
            case .methodNotAllowed: return APIError(.methodNotAllowed, code: "method_not_allowed", message: error.body ?? "method not allowed on this route")
            case .contentTooLarge: return APIError(.contentTooLarge, code: "body_too_large", message: error.body ?? "the body is too large")
            default:
                if error.status.code < 500 {
                    return APIError(error.status, code: "invalid_request", message: error.body ?? error.status.reasonPhrase)
                }
                return .server(requestId: requestId)
            }
        case let error as DecodingError:
            let problem = RequestBodies.describe(error)
            return .invalid(problem.message, param: problem.param, code: "parameter_invalid")
        default:
            return .server(requestId: requestId)
        }
    }
}

extension HTTPField.Name {
    public static let requestId = Self("X-Request-Id")!
    public static let idempotencyKey = Self("Idempotency-Key")!
    public static let idempotentReplayed = Self("Idempotent-Replayed")!
}
