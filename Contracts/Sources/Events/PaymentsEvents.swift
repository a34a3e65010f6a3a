import Foundation

// Events that the payments service publishes.

/// Payments recorded a charge in the patient's ledger (exactly once per `chargeId`).
public struct ChargeRecorded: ClinicEvent {
    public static let type = EventType("payments.charge.recorded", version: 1)
    public static let summary = "Payments recorded a posted charge in the patient's ledger, once per chargeId."
    public var chargeId: String
    public var patientId: String
    public var providerId: String
    public var serviceDate: CalendarDate
    public var procedure: Procedure
    public var fee: Money
    public var recordedAt: Timestamp
    /// As posted (added compatibly: insurance claims and plans need them).
    public var diagnosisCodes: [String]?
    public var appointmentId: String?
    public var treatmentPlanId: String?

    public init(chargeId: String, patientId: String, providerId: String, serviceDate: CalendarDate,
                procedure: Procedure, fee: Money, recordedAt: Timestamp, diagnosisCodes: [String]? = nil,
                appointmentId: String? = nil, treatmentPlanId: String? = nil) {
        self.chargeId = chargeId
        self.patientId = patientId
        self.providerId = providerId
        self.serviceDate = serviceDate
        self.procedure = procedure
        self.fee = fee
        self.recordedAt = recordedAt
        self.diagnosisCodes = diagnosisCodes
        self.appointmentId = appointmentId
        self.treatmentPlanId = treatmentPlanId
    }

    /// The recorded form of a posted charge.
    public init(_ posted: ChargePosted, at recordedAt: Date) {
        self.init(chargeId: posted.chargeId, patientId: posted.patientId, providerId: posted.providerId,
                  serviceDate: posted.serviceDate, procedure: posted.procedure, fee: posted.fee,
                  recordedAt: Timestamp(recordedAt), diagnosisCodes: posted.diagnosisCodes,
                  appointmentId: posted.appointmentId, treatmentPlanId: posted.treatmentPlanId)
    }

    public static let example = ChargeRecorded(
        chargeId: "chg-90001", patientId: "pat-1001", providerId: "prov-12",
        serviceDate: CalendarDate(year: 2026, month: 11, day: 2)!,
        procedure: ChargePosted.example.procedure,
        fee: Money(amount: 18_500, currency: "USD"), recordedAt: Timestamp("2026-12-01T16:30:02.125Z")!,
        diagnosisCodes: ["K02.52"], appointmentId: "appt-5001", treatmentPlanId: "tp-300")
}

/// Payments reversed a voided charge with a new ledger entry (the original entry stays).
public struct ChargeReversed: ClinicEvent {
    public static let type = EventType("payments.charge.reversed", version: 1)
    public static let summary = "Payments reversed a voided charge with a new, opposite ledger entry."
    public var chargeId: String
    public var patientId: String
    /// The fee taken off the patient's balance: the charge's fee, positive.
    public var amount: Money
    public var reversedAt: Timestamp
    public var reason: String?

    public init(chargeId: String, patientId: String, amount: Money, reversedAt: Timestamp, reason: String?) {
        self.chargeId = chargeId
        self.patientId = patientId
        self.amount = amount
        self.reversedAt = reversedAt
        self.reason = reason
    }

    public static let example = ChargeReversed(
        chargeId: "chg-90001", patientId: "pat-1001", amount: Money(amount: 18_500, currency: "USD"),
        reversedAt: Timestamp("2026-12-02T09:00:00Z")!, reason: "Entered in error")
}

/// A patient's balance in one currency changed. `version` grows by one with every change of that
/// balance, so a consumer that sees an older version than it holds can ignore it.
public struct BalanceChanged: ClinicEvent {
    public static let type = EventType("payments.balance.changed", version: 1)
    public static let summary = "A patient's balance changed; carries the new balance and a version that grows by one."
    public var patientId: String
    /// What the patient owes after the change; negative is a credit.
    public var balance: Money
    /// Signed: positive raised the balance.
    public var change: Money
    public var version: Int64
    public var cause: BalanceChangeCause

    public init(patientId: String, balance: Money, change: Money, version: Int64, cause: BalanceChangeCause) {
        self.patientId = patientId
        self.balance = balance
        self.change = change
        self.version = version
        self.cause = cause
    }

    public static let example = BalanceChanged(
        patientId: "pat-1001", balance: Money(amount: 18_500, currency: "USD"),
        change: Money(amount: 18_500, currency: "USD"), version: 1,
        cause: .example)
}

public struct BalanceChangeCause: Codable, Hashable, Sendable {
    public var kind: Kind
    /// The charge, when one charge made the change.
    public var chargeId: String?
    /// Every charge in the change: charges recorded together move a balance in one event.
    public var chargeIds: [String]?
    /// The adjustment (write-off, courtesy discount, correction), when one made the change. Added in
    /// a compatible way: absent for charge changes.
    public var adjustmentId: String?
    /// The payment, or the payment a refund gives money back from.
    public var paymentId: String?
    public var refundId: String?
    /// The insurance claim whose remittance was posted.
    public var claimId: String?

    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
        case chargeRecorded = "charge.recorded"
        case chargeReversed = "charge.reversed"
        case adjustment = "adjustment"
        case payment = "payment"
        case refund = "refund"
        /// An insurance payment and its contractual write-off (an 835 remittance).
        case insurancePayment = "insurance.payment"
    }

    public init(kind: Kind, chargeIds: [String]) {
        self.kind = kind
        self.chargeId = chargeIds.count == 1 ? chargeIds[0] : nil
        self.chargeIds = chargeIds
    }

    /// Every field set, as the schema generator needs (a real cause has either charges or an adjustment).
    public static let example: BalanceChangeCause = {
        var cause = BalanceChangeCause(kind: .chargeRecorded, chargeIds: ["chg-90001"])
        cause.adjustmentId = "adj_3f2a"
        cause.paymentId = "pay_7d1c"
        cause.refundId = "re_19ab"
        cause.claimId = "clm-5521"
        return cause
    }()

    public init(adjustmentId: String) {
        self.kind = .adjustment
        self.adjustmentId = adjustmentId
    }

    public init(paymentId: String) {
        self.kind = .payment
        self.paymentId = paymentId
    }

    public init(refundId: String, paymentId: String) {
        self.kind = .refund
        self.refundId = refundId
        self.paymentId = paymentId
    }

    public init(claimId: String) {
        self.kind = .insurancePayment
        self.claimId = claimId
    }
}
