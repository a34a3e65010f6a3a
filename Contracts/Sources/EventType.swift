/// The versioned name of a fact, `<producer>.<aggregate>.<fact>` plus a version; on the wire it is
/// the routing key and the CloudEvents `type`, e.g. `clinic.charge.posted.v1`.
public struct EventType: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let name: String
    public let version: Int

    public init(_ name: String, version: Int) {
        self.name = name
        self.version = version
    }

    /// Parses `clinic.charge.posted.v1`; nil for anything else.
    public init?(routingKey: String) {
        guard let dot = routingKey.lastIndex(of: ".") else { return nil }
        let suffix = routingKey[routingKey.index(after: dot)...]
        guard suffix.first == "v", let version = Int(suffix.dropFirst()), version > 0 else { return nil }
        let name = String(routingKey[..<dot])
        guard name.split(separator: ".", omittingEmptySubsequences: false).count == 3,
              name.split(separator: ".").count == 3
        else { return nil }
        self.init(name, version: version)
    }

    public var routingKey: String { "\(name).v\(version)" }
    public var description: String { routingKey }
    /// Who publishes it: `clinic` (the clinic's own systems) or one of the five services.
    public var producer: String { String(name.prefix { $0 != "." }) }

    public static func < (a: EventType, b: EventType) -> Bool { a.routingKey < b.routingKey }
}

/// An event payload type of the public contract. The Swift type is the source of truth: its JSON Schema
/// and the AsyncAPI document are generated from it, and `example` is its golden example.
public protocol ClinicEvent: Codable, Sendable, Equatable {
    static var type: EventType { get }
    /// One sentence for the catalogue: what happened, and who publishes it.
    static var summary: String { get }
    /// A complete example: every optional field filled, so that the schema can be read off it.
    static var example: Self { get }
    /// The schema's title: the Swift type's name unless the type says otherwise.
    static var title: String { get }
}

extension ClinicEvent {
    public static var title: String { String(describing: Self.self) }
}

/// Every event type of the contract, in catalogue order.
public enum EventCatalog {
    public static let all: [any ClinicEvent.Type] = [
        PatientRegistered.self, PatientUpdated.self, CoverageUpdated.self, ProviderUpdated.self, PracticeUpdated.self,
        AppointmentScheduled.self, AppointmentCompleted.self,
        ChargePosted.self, ChargeVoided.self, TreatmentPlanProposed.self, ExpenseRecorded.self,
        ChargeRecorded.self, ChargeReversed.self, BalanceChanged.self,
        PaymentSucceeded.self, PaymentFailed.self, PaymentRefunded.self, PaymentMethodSaved.self,
        PaymentMethodRevoked.self, BalanceDue.self,
        CoverageFlagged.self, EstimateCalculated.self, EstimateAccepted.self,
        ClaimHeld.self, ClaimSubmitted.self, ClaimAccepted.self, ClaimAcknowledged.self, ClaimRejected.self, ClaimPaid.self,
        PlanCreated.self, PlanActivated.self, PlanPaused.self, PlanResumed.self, PlanUpdated.self, PlanDefaulted.self,
        PlanCompleted.self, PlanCancelled.self, PlanPaymentRequested.self, PlanOffered.self, PlanCardSubmitted.self,
    ]

    public static func eventType(routingKey: String) -> (any ClinicEvent.Type)? {
        all.first { $0.type.routingKey == routingKey }
    }
}
