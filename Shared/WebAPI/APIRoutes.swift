import Crypto
public import Contracts
import Foundation
public import Hummingbird
import Logging
import Privacy
import NIOCore
import Storage

/// A response or request body a route documents: `example` is a complete value (every optional set),
/// from which the OpenAPI schema is read.
public protocol APIExample: Codable, Sendable {
    static var example: Self { get }
}

/// The input of a write that takes no body (a DELETE): an empty body, or `{}`.
public struct NoBody: APIExample {
    public init() {}
    public static let example = NoBody()
}

/// Who may call a route: staff holding `permission`, and a patient token holding `patientPermission`
/// (then only for its own patient: a `:patientId` in the path must be the token's, else 404).
public struct Access: Sendable {
    public var permission: Permission
    public var patientPermission: Permission?

    public static func staff(_ permission: Permission) -> Access { Access(permission: permission) }
    public static func staffOrOwnPatient(_ permission: Permission, patient: Permission) -> Access {
        Access(permission: permission, patientPermission: patient)
    }

    func allows(_ caller: Caller) -> Bool {
        caller.may(permission) || (patientPermission.map(caller.may) ?? false)
    }
}

/// What a route handler knows about its request.
public struct RouteCall: Sendable {
    public let caller: Caller
    public let requestId: String
    public let parameters: Parameters
    public let query: [String: String]
    /// The request's Idempotency-Key, on routes that take one.
    public var idempotencyKey: String? = nil

    /// An id derived from the clinic and the Idempotency-Key: a request retried after a crash names the
    /// same object, so it is never made twice.
    public func idempotentId(prefix: String) -> String? {
        guard let idempotencyKey else { return nil }
        return NewId.derived(prefix, from: "\(caller.clinicId)\n\(idempotencyKey)")
    }

    public func parameter(_ name: String) throws -> String { try parameters.require(name) }
}

/// The one way a service declares a route: its access, its documentation, and for writes one
/// transaction (rows, outbox, audit, Idempotency-Key answer) around the handler. Every route declared
/// here is in the service's OpenAPI document.
public struct APIRoutes {
    public let router: Router<ClinicRequestContext>
    public let runner: ChangeRunner
    public let catalog: RouteCatalog

    public init(router: Router<ClinicRequestContext>, runner: ChangeRunner, catalog: RouteCatalog) {
        self.router = router
        self.runner = runner
        self.catalog = catalog
    }

    /// A read: 200 with `Output`.
    public func get<Output: APIExample>(
        _ path: String, _ access: Access, summary: String, query: [QueryParameter] = [], output: Output.Type,
        _ handler: @escaping @Sendable (RouteCall) async throws -> Output
    ) {
        catalog.add(RouteDocument(method: "GET", path: path, summary: summary, access: access, query: query,
                                  input: nil, output: try? SchemaInference.schema(of: Output.example), status: 200))
        router.get(RouterPath(path)) { request, context in
            let call = try Self.authorize(request, context, access)
            return try Self.json(.ok, try await handler(call))
        }
    }

    /// A read that answers a file (a PDF agreement, receipt or statement): 200 with its bytes.
    public func document(
        _ path: String, _ access: Access, summary: String, contentType: String,
        _ handler: @escaping @Sendable (RouteCall) async throws -> [UInt8]
    ) {
        catalog.add(RouteDocument(method: "GET", path: path, summary: summary, access: access, query: [], input: nil,
                                  output: ["type": "string", "format": "binary"], status: 200, contentType: contentType))
        router.get(RouterPath(path)) { request, context in
            let call = try Self.authorize(request, context, access)
            let bytes = try await handler(call)
            return Response(status: .ok, headers: [.contentType: contentType],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// A write: the JSON body decoded as `Input` (400/422 that name the field), the handler run inside
    /// one `Change`, an audit line recorded even if the handler wrote none. With `idempotent`, the
    /// request needs an `Idempotency-Key`: a replay answers the first answer with `Idempotent-Replayed: true`.
    public func write<Input: APIExample, Output: APIExample>(
        _ method: HTTPRequest.Method, _ path: String, _ access: Access, summary: String, idempotent: Bool,
        input: Input.Type, output: Output.Type, status: HTTPResponse.Status = .ok,
        _ handler: @escaping @Sendable (Input, RouteCall, inout Change) async throws -> Output
    ) {
        catalog.add(RouteDocument(
            method: method.rawValue, path: path, summary: summary, access: access, query: [], idempotent: idempotent,
            input: Input.self == NoBody.self ? nil : try? SchemaInference.schema(of: Input.example), output: try? SchemaInference.schema(of: Output.example),
            status: status.code))
        let runner = self.runner
        router.on(RouterPath(path), method: method) { request, context in
            var call = try Self.authorize(request, context, access)
            let key = try idempotent ? Self.idempotencyKey(request) : nil
            call.idempotencyKey = key
            let bytes = Array(buffer: try await request.body.collect(upTo: context.maxUploadSize))
            let input = try (bytes.isEmpty ? NoBody() as? Input : nil) ?? RequestBodies.decode(Input.self, from: bytes)
            let fingerprint = Self.fingerprint(method: method.rawValue, path: request.uri.path, body: bytes)
            let answer: (status: Int, body: String, replayed: Bool)
            do {
                answer = try await runner.run(
                    actor: (call.caller.subject, call.caller.role.rawValue), clinicId: call.caller.clinicId,
                    correlationId: call.requestId, requestId: call.requestId
                ) { change in
                    if let key, let stored = try await IdempotencyKeys.claim(
                        clinicId: call.caller.clinicId, key: key, on: change.connection, logger: change.logger) {
                        guard stored.fingerprint == fingerprint else {
                            throw APIError.unprocessable(
                                "this Idempotency-Key was used for a different request; use a new key for a new request",
                                param: "Idempotency-Key", code: "idempotency_key_reused")
                        }
                        return (stored.status, stored.body, true)
                    }
                    let output = try await handler(input, call, &change)
                    if change.audits.isEmpty {
                        try change.audit("\(method.rawValue) \(path)", objectType: "route", objectId: request.uri.path,
                                         summary: "answered \(status.code)")
                    }
                    let body = String(decoding: try JSONCoders.encoder.encode(output), as: UTF8.self)
                    if let key {
                        try await IdempotencyKeys.store(
                            clinicId: call.caller.clinicId, key: key,
                            answer: .init(fingerprint: fingerprint, status: status.code, body: body), at: change.now,
                            on: change.connection, logger: change.logger)
                    }
                    return (status.code, body, false)
                }
            } catch is IdempotencyKeys.InProgress {
                throw APIError(.conflict, code: "request_in_progress",
                               message: "another request with this Idempotency-Key is still being processed; retry shortly")
            }
            var response = Self.json(HTTPResponse.Status(code: answer.status), bytes: Array(answer.body.utf8))
            if answer.replayed { response.headers[.idempotentReplayed] = "true" }
            return response
        }
    }

    static func authorize(_ request: Request, _ context: ClinicRequestContext, _ access: Access) throws -> RouteCall {
        let caller = try context.requireCaller()
        guard access.allows(caller) else { throw APIError.forbidden(access.permission, role: caller.role) }
        if caller.role == .patient, let patientId = context.parameters.get("patientId") {
            try caller.requireSee(patientId: patientId)
        }
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        return RouteCall(caller: caller, requestId: context.requestId, parameters: context.parameters, query: query)
    }

    static func idempotencyKey(_ request: Request) throws(APIError) -> String {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw .invalid("this request moves money or creates a money object: send an Idempotency-Key header (e.g. a UUID)",
                           param: "Idempotency-Key", code: "idempotency_key_missing")
        }
        guard key.count <= 255, key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw .invalid("the Idempotency-Key must be 1–255 visible ASCII characters", param: "Idempotency-Key",
                           code: "idempotency_key_invalid")
        }
        guard !CardNumbers.containsCardNumber(key) else { throw CardNumberGuard.refusal(field: "Idempotency-Key") }
        return key
    }

    /// Over the method, the path and the body as canonical JSON (keys sorted, no spacing), so that the
    /// same request sent with other spacing or key order is the same request.
    static func fingerprint(method: String, path: String, body: [UInt8]) -> String {
        let canonical = (try? JSONCoders.decoder.decode(JSONValue.self, from: Data(body)))
            .flatMap { try? JSONCoders.encoder.encode($0) }.map(Array.init) ?? body
        var hash = SHA256()
        hash.update(data: Array("\(method) \(path)\n".utf8))
        hash.update(data: canonical)
        return Hex.encode(hash.finalize())
    }

    static func json<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) throws -> Response {
        json(status, bytes: Array(try JSONCoders.encoder.encode(value)))
    }

    static func json(_ status: HTTPResponse.Status, bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
