import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceRuntime
import WebAPI

/// Where insurance's work is recorded: a request's `Change`, an event's `EventContext`, or (for reads) a
/// bare connection. Events and audit lines commit with the rows.
protocol InsuranceEffects {
    var connection: PostgresConnection { get }
    var logger: Logger { get }
    var now: Date { get }
    mutating func announce(_ event: some ClinicEvent, clinicId: String, aggregateId: String) throws
    mutating func note(_ action: String, clinicId: String, objectType: String, objectId: String, summary: String) throws
}

extension Change: InsuranceEffects {
    mutating func announce(_ event: some ClinicEvent, clinicId: String, aggregateId: String) throws {
        try publish(event, clinicId: clinicId, aggregateId: aggregateId)
    }

    mutating func note(_ action: String, clinicId: String, objectType: String, objectId: String, summary: String) throws {
        try audit(action, objectType: objectType, objectId: objectId, summary: summary, clinicId: clinicId)
    }
}

extension EventContext: InsuranceEffects {
    mutating func announce(_ event: some ClinicEvent, clinicId: String, aggregateId: String) throws {
        try publish(event, aggregateId: aggregateId)
    }

    mutating func note(_ action: String, clinicId: String, objectType: String, objectId: String, summary: String) throws {
        audit(action, objectType: objectType, objectId: objectId, summary: summary)
    }
}

/// A route's read: it announces nothing.
struct ReadOnly: InsuranceEffects {
    let connection: PostgresConnection
    let logger: Logger
    let now: Date

    mutating func announce(_ event: some ClinicEvent, clinicId: String, aggregateId: String) throws {
        throw StoreProblem("a read cannot publish \(type(of: event).type)")
    }

    mutating func note(_ action: String, clinicId: String, objectType: String, objectId: String, summary: String) throws {
        throw StoreProblem("a read cannot audit \(action)")
    }
}
