import Contracts
import Foundation
import Hummingbird
import Messaging
import NIOCore
import PostgresNIO
import Prometheus
import WebAPI

/// `/health/live`, `/health/ready` and `/metrics`, the same on every service.
struct HealthRoutes: Sendable {
    let service: String
    let client: PostgresClient
    let consumer: EventConsumer
    let migrated: Flag
    let registry: PrometheusCollectorRegistry

    struct Status: ResponseEncodable {
        var service: String
        var status: String
        var checks: [String: String]
    }

    func add(to router: Router<ClinicRequestContext>, catalog: RouteCatalog) {
        Self.document(in: catalog)
        addHandlers(to: router)
    }

    static func document(in catalog: RouteCatalog) {
        let status: JSONValue = [
            "type": "object", "required": ["service", "status", "checks"],
            "properties": ["service": ["type": "string"], "status": ["type": "string"],
                           "checks": ["type": "object", "additionalProperties": ["type": "string"]]],
        ]
        catalog.add(.publicRoute(method: "GET", path: "/health/live", summary: "The process runs", output: status))
        catalog.add(.publicRoute(method: "GET", path: "/health/ready",
                                 summary: "Database reachable and migrated, broker connected (503 otherwise)", output: status))
        catalog.add(.publicRoute(method: "GET", path: "/metrics", summary: "Prometheus metrics",
                                 output: ["type": "string"], contentType: "text/plain"))
    }

    func addHandlers(to router: Router<ClinicRequestContext>) {
        router.get("/health/live") { _, _ in Status(service: service, status: "live", checks: [:]) }
        router.get("/health/ready") { _, _ in
            let checks = await readiness()
            let ready = checks.values.allSatisfy { $0 == "ok" }
            return EditedResponse(
                status: ready ? .ok : .serviceUnavailable,
                response: Status(service: service, status: ready ? "ready" : "not ready", checks: checks))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    private func readiness() async -> [String: String] {
        var checks: [String: String] = [:]
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.query("SELECT 1") }
                group.addTask {
                    try await Task.sleep(for: .seconds(2))
                    throw CancellationError()
                }
                try await group.next()
                group.cancelAll()
            }
            checks["database"] = migrated.isSet ? "ok" : "migrations not applied yet"
        } catch {
            checks["database"] = "unreachable: \(error is CancellationError ? "no answer within 2 s" : "\(error)")"
        }
        checks["broker"] = consumer.isConnected ? "ok" : "not connected"
        return checks
    }
}
