import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Storage
import WebAPI

/// Keeps the inbound events a service will act on in later releases, so that nothing it was sent
/// before then is lost: insurance, plans and notifications build their features on this journal.
/// Bodies carry patient names and contacts, so they are stored sealed (AES-GCM), never as plaintext.
public enum EventJournal {
    /// Its own migration component, `journal`, so a service's own version 1 is free for the service.
    public static let migrations = [
        Migration(1, "journal of received events, bodies sealed", [
            // Earlier releases kept the journal, with plaintext bodies, as the service's own version 1.
            "DELETE FROM schema_migrations WHERE component = current_schema() AND version = 1 AND name = 'journal of received events'",
            "DROP TABLE IF EXISTS received_events",
            """
            CREATE TABLE received_events (
                event_id text PRIMARY KEY,
                event_type text NOT NULL,
                clinic_id text NOT NULL,
                occurred_at timestamptz NOT NULL,
                sealed_body text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now())
            """,
            "CREATE INDEX received_events_by_clinic ON received_events (clinic_id, event_type, occurred_at)",
        ]),
    ]

    /// Records every event of `types` in the journal.
    public static func record(_ types: [any ClinicEvent.Type], in handlers: inout EventHandlers) {
        for type in types { register(type, in: &handlers) }
    }

    /// Checks each body against its contract, then keeps it sealed as it arrived (no second encoding).
    private static func register<E: ClinicEvent>(_ type: E.Type, in handlers: inout EventHandlers) {
        handlers.onBodies(E.self) { items, context in
            for item in items { _ = try EventHandlers.decode(E.self, from: item.body) }
            let sealed = try items.map { try context.cipher.seal($0.body) }
            try await context.connection.query("""
                INSERT INTO received_events (event_id, event_type, clinic_id, occurred_at, sealed_body)
                SELECT i, \(E.type.routingKey), c, t, b
                FROM unnest(\(items.map(\.envelope.id)), \(items.map(\.envelope.clinicId)),
                            \(items.map(\.envelope.time.date)), \(sealed)) AS x(i, c, t, b)
                ON CONFLICT (event_id) DO NOTHING
                """, logger: context.logger)
        }
    }

    struct Counts: APIExample {
        var clinicId: String
        var received: [String: Int]
        static let example = Counts(clinicId: "clinic-1", received: ["clinic.charge.posted.v1": 12])
    }

    /// `GET /v1/received-events`: how many events of each type the service holds for the caller's clinic.
    public static func addRoutes(to api: APIRoutes, _ resources: ServiceResources) {
        api.get("/v1/received-events", .staff(.billingRead), summary: "How many events of each type this service has journaled",
                output: Counts.self) { call in
            var received: [String: Int] = [:]
            for try await (type, count) in try await resources.client.query("""
                SELECT event_type, count(*)::bigint FROM received_events WHERE clinic_id = \(call.caller.clinicId) GROUP BY event_type
                """, logger: resources.logger).decode((String, Int64).self)
            {
                received[type] = Int(count)
            }
            return Counts(clinicId: call.caller.clinicId, received: received)
        }
    }

    /// A service that, for now, only journals the events it will act on.
    public static func definition(name: String, httpPort: Int, events: [any ClinicEvent.Type]) -> ServiceDefinition {
        var handlers = EventHandlers()
        record(events, in: &handlers)
        var definition = ServiceDefinition(
            name: name, defaultHTTPPort: httpPort, migrations: [], handlers: handlers,
            routes: { api, resources in addRoutes(to: api, resources) })
        definition.sharedMigrations = [("journal", migrations)]
        return definition
    }
}
