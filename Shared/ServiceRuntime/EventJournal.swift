import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Storage

/// Keeps the inbound events a service will act on in later releases, so that nothing it was sent
/// before then is lost: insurance, plans and notifications build their features on this journal.
public enum EventJournal {
    public static let migrations = [
        Migration(1, "journal of received events", [
            """
            CREATE TABLE received_events (
                event_id text PRIMARY KEY,
                event_type text NOT NULL,
                clinic_id text NOT NULL,
                occurred_at timestamptz NOT NULL,
                body jsonb NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now())
            """,
            "CREATE INDEX received_events_by_clinic ON received_events (clinic_id, event_type, occurred_at)",
        ]),
    ]

    /// Records every event of `types` in the journal.
    public static func record(_ types: [any ClinicEvent.Type], in handlers: inout EventHandlers) {
        for type in types { register(type, in: &handlers) }
    }

    /// Checks each body against its contract, then keeps it as it arrived (no second encoding).
    private static func register<E: ClinicEvent>(_ type: E.Type, in handlers: inout EventHandlers) {
        handlers.onBodies(E.self) { items, connection, logger in
            for item in items { _ = try EventHandlers.decode(E.self, from: item.body) }
            try await connection.query("""
                INSERT INTO received_events (event_id, event_type, clinic_id, occurred_at, body)
                SELECT i, \(E.type.routingKey), c, t, b::jsonb
                FROM unnest(\(items.map(\.envelope.id)), \(items.map(\.envelope.clinicId)),
                            \(items.map(\.envelope.time.date)), \(items.map { String(decoding: $0.body, as: UTF8.self) }))
                     AS x(i, c, t, b)
                ON CONFLICT (event_id) DO NOTHING
                """, logger: logger)
        }
    }

    struct Counts: ResponseEncodable {
        var clinicId: String
        var received: [String: Int]
    }

    /// `GET /v1/received-events?clinicId=…`: how many events of each type the service holds.
    public static func addRoutes(to router: Router<BasicRequestContext>, _ resources: ServiceResources) {
        router.get("/v1/received-events") { request, _ in
            let clinicId = try request.clinicId()
            var received: [String: Int] = [:]
            for try await (type, count) in try await resources.client.query("""
                SELECT event_type, count(*)::bigint FROM received_events WHERE clinic_id = \(clinicId) GROUP BY event_type
                """, logger: resources.logger).decode((String, Int64).self)
            {
                received[type] = Int(count)
            }
            return Counts(clinicId: clinicId, received: received)
        }
    }

    /// A service that, for now, only journals the events it will act on.
    public static func definition(name: String, httpPort: Int, events: [any ClinicEvent.Type]) -> ServiceDefinition {
        var handlers = EventHandlers()
        record(events, in: &handlers)
        return ServiceDefinition(
            name: name, defaultHTTPPort: httpPort, migrations: migrations, handlers: handlers,
            routes: { router, resources in addRoutes(to: router, resources) })
    }
}
