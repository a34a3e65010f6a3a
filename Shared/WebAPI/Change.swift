public import Contracts
public import Foundation
public import Logging
public import PostgresNIO
public import Storage

/// One change of state, made in one transaction: the rows a route or a job writes, the events it
/// publishes (outbox) and the audit lines that record it all commit together or not at all.
public struct Change: Sendable {
    public let connection: PostgresConnection
    public let logger: Logger
    /// The service clock's time when the change began.
    public let now: Date
    /// Who acts: a caller's token, or the service itself for automated work.
    public let actor: (subject: String, role: String)
    /// The clinic of a route's caller; jobs that span clinics name one per call.
    public let clinicId: String?
    /// Carried as the correlation id of every event this change publishes: the request id for a route.
    public let correlationId: String
    public let requestId: String?
    let service: String
    public internal(set) var outgoing: [OutboxMessage] = []
    public internal(set) var audits: [AuditEntry] = []

    /// Records `event` for publication when this change commits. `aggregateId` keeps one aggregate's
    /// events in order (e.g. one patient's balance changes).
    public mutating func publish<E: ClinicEvent>(_ event: E, clinicId: String? = nil, aggregateId: String) throws {
        let envelope = EventEnvelope(type: E.type, source: "clinicledger/\(service)", time: Timestamp(now),
                                     clinicId: try clinic(clinicId), correlationId: correlationId)
        outgoing.append(OutboxMessage(
            messageId: envelope.id, routingKey: E.type.routingKey, aggregateId: aggregateId,
            headers: Dictionary(uniqueKeysWithValues: envelope.amqpHeaders),
            body: String(decoding: try ContractCoding.encode(event), as: UTF8.self)))
    }

    /// Records an audit line for this change.
    public mutating func audit(_ action: String, objectType: String, objectId: String, summary: String,
                               clinicId: String? = nil) throws {
        audits.append(AuditEntry(
            clinicId: try clinic(clinicId), subject: actor.subject, role: actor.role, action: action,
            objectType: objectType, objectId: objectId, summary: summary, requestId: requestId))
    }

    private func clinic(_ given: String?) throws -> String {
        guard let clinic = given ?? clinicId else { throw ChangeError("a change outside a request must name its clinic") }
        return clinic
    }

    /// Writes the outbox messages and audit lines; the caller commits.
    func finish() async throws {
        try await Outbox.append(outgoing, on: connection, logger: logger)
        try await AuditLog.append(audits, on: connection, logger: logger)
    }
}

struct ChangeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What routes and jobs need to make changes: the database, the clock, and a bell for the outbox relay.
public struct ChangeRunner: Sendable {
    public let service: String
    public let client: PostgresClient
    public let clock: ServiceClock
    public let logger: Logger
    /// Rung after a commit that wrote outbox rows, so the relay publishes them at once.
    let afterCommit: @Sendable () -> Void

    public init(service: String, client: PostgresClient, clock: ServiceClock, logger: Logger,
                afterCommit: @escaping @Sendable () -> Void) {
        self.service = service
        self.client = client
        self.clock = clock
        self.logger = logger
        self.afterCommit = afterCommit
    }

    /// BEGIN, `body`, outbox and audit rows, COMMIT; ROLLBACK if anything throws.
    public func run<T: Sendable>(
        actor: (subject: String, role: String), clinicId: String?, correlationId: String, requestId: String?,
        _ body: (inout Change) async throws -> T
    ) async throws -> T {
        let now = clock.now()
        let (value, published) = try await client.inTransaction(logger: logger) { connection in
            var change = Change(connection: connection, logger: logger, now: now, actor: actor, clinicId: clinicId,
                                correlationId: correlationId, requestId: requestId, service: service)
            let value = try await body(&change)
            try await change.finish()
            return (value, !change.outgoing.isEmpty)
        }
        if published { afterCommit() }
        return value
    }
}
