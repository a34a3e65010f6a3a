public import Contracts
import Foundation
import Synchronization

/// A documented query parameter.
public struct QueryParameter: Sendable {
    public var name: String
    public var description: String
    public var type: String
    public var required: Bool

    public static func string(_ name: String, _ description: String, required: Bool = false) -> QueryParameter {
        QueryParameter(name: name, description: description, type: "string", required: required)
    }

    public static func integer(_ name: String, _ description: String) -> QueryParameter {
        QueryParameter(name: name, description: description, type: "integer", required: false)
    }

    /// `limit` and `starting_after`, as every list takes them.
    public static let paging: [QueryParameter] = [
        QueryParameter(name: "limit", description: "1 to 100 items (default 20)", type: "integer", required: false),
        .string("starting_after", "the id of the last item of the previous page"),
    ]
}

/// One route as the OpenAPI document shows it.
public struct RouteDocument: Sendable {
    var method: String
    var path: String
    var summary: String
    var access: Access?
    var query: [QueryParameter]
    var idempotent = false
    var input: JSONValue?
    var output: JSONValue?
    var status: Int
    var contentType = "application/json"
    /// Error answers a public route documents (e.g. 400 for a webhook whose signature does not verify).
    var errorStatuses: [Int] = []
    /// How those errors come: the one JSON error shape, or a page (`text/html`) for people.
    var errorContentType = "application/json"

    public static func publicRoute(method: String, path: String, summary: String, output: JSONValue?,
                                   contentType: String = "application/json", errorStatuses: [Int] = [],
                                   status: Int = 200, errorContentType: String = "application/json") -> RouteDocument {
        RouteDocument(method: method, path: path, summary: summary, access: nil, query: [], input: nil, output: output,
                      status: status, contentType: contentType, errorStatuses: errorStatuses,
                      errorContentType: errorContentType)
    }
}

/// The routes a service declared, for its OpenAPI 3.1 document.
public final class RouteCatalog: Sendable {
    private let routes = Mutex<[RouteDocument]>([])
    public let service: String
    public let version: String

    public init(service: String, version: String = "1.0.0") {
        self.service = service
        self.version = version
    }

    public func add(_ route: RouteDocument) { routes.withLock { $0.append(route) } }

    /// The document, with keys sorted so the checked-in copy diffs cleanly.
    public func document() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for route in routes.withLock({ $0 }) {
            let path = Self.openAPIPath(route.path)
            var operations: [String: JSONValue] = [:]
            if case .object(let existing)? = paths[path] { operations = existing }
            operations[route.method.lowercased()] = operation(route)
            paths[path] = .object(operations)
        }
        let roles = Role.allCases.map { role -> (String, JSONValue) in
            (role.rawValue, .array(role.permissions.map(\.rawValue).sorted().map(JSONValue.string)))
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": .string("ClinicLedger \(service)"),
                "version": .string(version),
                "description": "Every route needs `Authorization: Bearer <JWT>` unless it says `security: []`. Errors are `{\"error\": {type, code, message, param}}`.",
                "x-roles": .object(Dictionary(uniqueKeysWithValues: roles)),
            ],
            "paths": .object(paths),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
                "schemas": ["Error": Self.errorSchema],
            ],
            "security": .array([.object(["bearer": .array([])])]),
        ]
    }

    private func operation(_ route: RouteDocument) -> JSONValue {
        var parameters: [JSONValue] = Self.pathParameters(route.path).map {
            ["name": .string($0), "in": "path", "required": true, "schema": ["type": "string", "minLength": 1]]
        }
        for query in route.query {
            var schema: [String: JSONValue] = ["type": .string(query.type)]
            if query.name == "limit" { schema["minimum"] = 1; schema["maximum"] = 100 }
            if query.name == "starting_after" { schema["pattern"] = "^[0-9]+$" }
            parameters.append(["name": .string(query.name), "in": "query", "required": .bool(query.required),
                               "description": .string(query.description), "schema": .object(schema)])
        }
        if route.idempotent {
            parameters.append(["name": "Idempotency-Key", "in": "header", "required": true,
                               "description": "a new key (e.g. a UUID) per intended effect; a retry with the same key returns the first answer",
                               "schema": ["type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"]])
        }
        let error: JSONValue = ["description": "error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        var responses: [String: JSONValue] = [
            String(route.status): ["description": "success",
                                   "content": .object([route.contentType: ["schema": route.output ?? [:]]])],
        ]
        var operation: [String: JSONValue] = ["summary": .string(route.summary), "operationId": .string(Self.operationId(route))]
        if let access = route.access {
            for code in ["400", "401", "403", "404"] { responses[code] = error }
            operation["x-permission"] = .string(access.permission.rawValue)
            if let patient = access.patientPermission { operation["x-patient-permission"] = .string(patient.rawValue) }
        } else {
            operation["security"] = []
            let page: JSONValue = ["description": "error", "content": .object([route.errorContentType: ["schema": ["type": "string"]]])]
            for code in route.errorStatuses { responses[String(code)] = route.errorContentType == "application/json" ? error : page }
        }
        if let input = route.input {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": input]]]
        }
        // A body can be refused (422); an Idempotency-Key reused for another request (422) or still in flight (409).
        if route.input != nil || route.idempotent {
            for code in ["409", "422"] { responses[code] = error }
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        operation["responses"] = .object(responses)
        return .object(operation)
    }

    static func openAPIPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }

    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
    }

    static func operationId(_ route: RouteDocument) -> String {
        let words = route.path.split(separator: "/").map { $0.hasPrefix(":") ? "by-" + $0.dropFirst() : String($0) }
        return ([route.method.lowercased()] + words).joined(separator: "-")
    }

    static let errorSchema: JSONValue = [
        "type": "object", "required": ["error"],
        "properties": ["error": [
            "type": "object", "required": ["type", "code", "message"],
            "properties": ["type": ["type": "string"], "code": ["type": "string"], "message": ["type": "string"],
                           "param": ["type": "string"]],
        ]],
    ]
}
