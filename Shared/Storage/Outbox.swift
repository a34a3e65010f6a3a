import Foundation
public import Logging
public import PostgresNIO

/// An event waiting in the outbox: written in the same transaction as the change it reports, published
/// later by the relay.
public struct OutboxMessage: Sendable, Equatable {
    public var messageId: String
    public var routingKey: String
    /// Events of one aggregate (a patient's account) are published in the order they were written.
    public var aggregateId: String
    public var headers: [String: String]
    public var body: String

    public init(messageId: String, routingKey: String, aggregateId: String, headers: [String: String], body: String) {
        self.messageId = messageId
        self.routingKey = routingKey
        self.aggregateId = aggregateId
        self.headers = headers
        self.body = body
    }
}

/// The outbox and inbox tables every service has, and the SQL that uses them.
public enum Outbox {
    public static let migrations = [
        Migration(1, "outbox and inbox", [
            """
            CREATE TABLE outbox (
                id bigserial PRIMARY KEY,
                message_id text NOT NULL,
                routing_key text NOT NULL,
                aggregate_id text NOT NULL,
                headers jsonb NOT NULL,
                body text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                sent_at timestamptz)
            """,
            "CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL",
            """
            CREATE TABLE inbox (
                event_id text PRIMARY KEY,
                event_type text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now())
            """,
        ]),
        // The relay now deletes what the broker has confirmed: a row in the outbox is a message not yet
        // sent, and nothing needs marking or pruning.
        Migration(2, "the outbox holds only unsent messages", [
            "DELETE FROM outbox WHERE sent_at IS NOT NULL",
            "DROP INDEX outbox_unsent",
            "ALTER TABLE outbox DROP COLUMN sent_at",
        ]),
    ]

    /// Adds messages inside the caller's transaction, in one statement.
    public static func append(_ messages: [OutboxMessage], on connection: PostgresConnection, logger: Logger) async throws {
        guard !messages.isEmpty else { return }
        let headers = messages.map { jsonObject($0.headers) }
        try await connection.query("""
            INSERT INTO outbox (message_id, routing_key, aggregate_id, headers, body)
            SELECT m, r, a, h::jsonb, b
            FROM unnest(\(messages.map(\.messageId)), \(messages.map(\.routingKey)), \(messages.map(\.aggregateId)),
                        \(headers), \(messages.map(\.body))) WITH ORDINALITY AS t(m, r, a, h, b, n)
            ORDER BY n
            """, logger: logger)
    }

    /// Makes this connection's session the one relay of this service's outbox, if no other session is (a
    /// session advisory lock, released when the connection closes): one publisher keeps each patient's
    /// events in order across replicas. Advisory locks are database-wide, so the key names the schema:
    /// each service has its own relay.
    public static func becomeRelay(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query(
            "SELECT pg_try_advisory_lock(hashtext('clinicledger.outbox-relay:' || current_schema()))", logger: logger
        ).collect().first?.decode(Bool.self) ?? false
    }

    /// Postgres takes the headers apart (names and values as arrays), which costs far less than JSON in Swift.
    private static let columns = """
        id, message_id, routing_key, aggregate_id, ARRAY(SELECT key FROM jsonb_each_text(headers) ORDER BY key),
        ARRAY(SELECT value FROM jsonb_each_text(headers) ORDER BY key), body
        """

    /// The oldest messages after `cursor` (an outbox id), in order.
    public static func unsent(after cursor: Int64, limit: Int, on connection: PostgresConnection, logger: Logger)
        async throws -> [(id: Int64, message: OutboxMessage)]
    {
        try await messages(connection.query("""
            SELECT \(unescaped: columns)
            FROM outbox WHERE id > \(cursor) ORDER BY id LIMIT \(limit)
            """, logger: logger))
    }

    /// Messages at or before `cursor` that are not among `published`: a transaction takes its outbox id when
    /// it writes the row but may commit after a later one did, behind a relay's cursor.
    public static func late(upTo cursor: Int64, published: [Int64], limit: Int, on connection: PostgresConnection,
                            logger: Logger) async throws -> [(id: Int64, message: OutboxMessage)]
    {
        try await messages(connection.query("""
            SELECT \(unescaped: columns)
            FROM outbox WHERE id <= \(cursor) AND NOT id = ANY(\(published)) ORDER BY id LIMIT \(limit)
            """, logger: logger))
    }

    private static func messages(_ rows: PostgresRowSequence) async throws -> [(id: Int64, message: OutboxMessage)] {
        var messages: [(id: Int64, message: OutboxMessage)] = []
        for try await (id, messageId, routingKey, aggregateId, names, values, body)
            in rows.decode((Int64, String, String, String, [String], [String], String).self)
        {
            messages.append((id, OutboxMessage(
                messageId: messageId, routingKey: routingKey, aggregateId: aggregateId,
                headers: Dictionary(zip(names, values), uniquingKeysWith: { first, _ in first }), body: body)))
        }
        return messages
    }

    /// Removes messages the broker has confirmed.
    public static func delete(_ ids: [Int64], on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM outbox WHERE id = ANY(\(ids))", logger: logger)
    }

    /// String pairs as a JSON object, written by hand: the relay's hot path has no need for an encoder.
    static func jsonObject(_ pairs: [String: String]) -> String {
        var text = "{"
        for (name, value) in pairs {
            if text.utf8.count > 1 { text += "," }
            appendJSONString(name, to: &text)
            text += ":"
            appendJSONString(value, to: &text)
        }
        return text + "}"
    }

    private static func appendJSONString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                text += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    public static func backlog(client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.query("SELECT count(*) FROM outbox", logger: logger).collect().first?.decode(Int.self) ?? 0
    }
}

/// Every handled event id, recorded in the same transaction as the event's effect.
public enum Inbox {
    /// The ids among `events` seen for the first time, recorded now; a redelivery or a re-send is not
    /// among them and must have no effect. A concurrent duplicate waits on the first one's row lock.
    public static func recordFirstDeliveries(
        _ events: [(id: String, type: String)], on connection: PostgresConnection, logger: Logger
    ) async throws -> Set<String> {
        var firstTime = Set<String>()
        let rows = try await connection.query("""
            INSERT INTO inbox (event_id, event_type)
            SELECT * FROM unnest(\(events.map(\.id)), \(events.map(\.type)))
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id
            """, logger: logger)
        for try await id in rows.decode(String.self) { firstTime.insert(id) }
        return firstTime
    }
}
