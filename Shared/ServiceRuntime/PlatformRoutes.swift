import Contracts
import Foundation
import Hummingbird
import NIOCore
import Storage
import WebAPI

/// `GET /v1/audit`: the clinic's audit trail, for whoever holds `audit:read`.
enum AuditRoutes {
    struct Line: APIExample {
        var id: String
        var recordedAt: String
        var subject: String
        var role: String
        var action: String
        var objectType: String
        var objectId: String
        var summary: String
        var requestId: String?
        var eventId: String?
        var sealed: Bool

        static let example = Line(
            id: "42", recordedAt: "2026-11-25T09:30:00.000Z", subject: "user-7", role: "billing_staff",
            action: "adjustment.created", objectType: "adjustment", objectId: "adj_1", summary: "write-off 1500 USD",
            requestId: "req-1", eventId: "evt-1", sealed: true)
    }

    static func add(to api: APIRoutes, _ resources: ServiceResources) {
        api.get("/v1/audit", .staff(.auditRead), summary: "The audit trail: who changed what, when, and why",
                query: [.string("objectId", "only lines about this object")] + QueryParameter.paging, output: Page<Line>.self) { call in
            let page = try PageRequest(call.query)
            let after = try page.numericCursor("an audit line id")
            let rows = try await AuditLog.rows(
                clinicId: call.caller.clinicId, objectId: call.query["objectId"], afterSeq: after, limit: page.limit + 1,
                client: resources.client, logger: resources.logger)
            let lines = rows.map { row in
                let e = row.entry
                return Line(id: String(row.seq), recordedAt: Timestamp(row.recordedAt).description, subject: e.subject,
                            role: e.role, action: e.action, objectType: e.objectType, objectId: e.objectId,
                            summary: e.summary, requestId: e.requestId, eventId: e.eventId, sealed: row.hash != nil)
            }
            return Page(fetched: lines, limit: page.limit)
        }
    }
}

/// `GET /openapi.json`: the service's routes as an OpenAPI 3.1 document (public: no data in it).
enum OpenAPIRoute {
    static func add(to router: Router<ClinicRequestContext>, catalog: RouteCatalog) {
        catalog.add(.publicRoute(method: "GET", path: "/openapi.json", summary: "This document", output: ["type": "object"]))
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: try OpenAPIText.render(catalog))))
        }
    }
}

enum OpenAPIText {
    /// Pretty, sorted JSON: the checked-in copy is this text.
    static func render(_ catalog: RouteCatalog) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(catalog.document())) + [UInt8(ascii: "\n")]
    }
}
