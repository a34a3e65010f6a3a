// Events that the plans service publishes and payments reads: the money a plan asks for, and the
// plan's life (what it finances, so that payments never collects the same dollar twice).

/// A plan's facts every lifecycle event carries.
public protocol PlanLifecycleEvent: ClinicEvent {
    var planId: String { get }
    var patientId: String { get }
    /// What the plan still finances: payments does not collect it outside the plan while the plan is
    /// created, active or paused.
    var financed: Money { get }
    init(planId: String, patientId: String, financed: Money, at: Timestamp)
}

public enum PlanPaymentKind: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case downPayment = "down_payment"
    case installment
    case payoff
}

/// Plans asks payments to charge a down payment, an installment or a payoff to the plan's saved method.
/// Payments charges each `installmentId` at most once (retrying soft declines on its schedule).
public struct PlanPaymentRequested: ClinicEvent {
    public static let type = EventType("plans.payment.requested", version: 1)
    public static let summary = "Plans asks payments to charge a plan's down payment, installment or payoff to its saved method."
    public var planId: String
    /// Unique per plan and due amount; the payment's idempotency key.
    public var installmentId: String
    public var patientId: String
    public var kind: PlanPaymentKind
    public var amount: Money
    public var paymentMethodId: String
    public var dueDate: CalendarDate

    public init(planId: String, installmentId: String, patientId: String, kind: PlanPaymentKind, amount: Money,
                paymentMethodId: String, dueDate: CalendarDate) {
        self.planId = planId
        self.installmentId = installmentId
        self.patientId = patientId
        self.kind = kind
        self.amount = amount
        self.paymentMethodId = paymentMethodId
        self.dueDate = dueDate
    }

    public static let example = PlanPaymentRequested(
        planId: "plan-88", installmentId: "plan-88-inst-3", patientId: "pat-1001", kind: .installment,
        amount: Money(amount: 10_000, currency: "USD"), paymentMethodId: "pm_4f2b",
        dueDate: CalendarDate(year: 2026, month: 12, day: 1)!)
}

public struct PlanCreated: PlanLifecycleEvent {
    public static let type = EventType("plans.plan.created", version: 1)
    public static let summary = "A payment plan was created and awaits the patient's agreement."
    public var planId: String
    public var patientId: String
    public var financed: Money
    public var at: Timestamp

    public init(planId: String, patientId: String, financed: Money, at: Timestamp) {
        self.planId = planId
        self.patientId = patientId
        self.financed = financed
        self.at = at
    }

    public static let example = PlanCreated(
        planId: "plan-88", patientId: "pat-1001", financed: Money(amount: 120_000, currency: "USD"),
        at: Timestamp("2026-12-01T17:05:00Z")!)
}

public struct PlanActivated: PlanLifecycleEvent {
    public static let type = EventType("plans.plan.activated", version: 1)
    public static let summary = "A payment plan became active: payments stops collecting what it finances outside the plan."
    public var planId: String
    public var patientId: String
    public var financed: Money
    public var at: Timestamp

    public init(planId: String, patientId: String, financed: Money, at: Timestamp) {
        self.planId = planId
        self.patientId = patientId
        self.financed = financed
        self.at = at
    }

    public static let example = PlanActivated(
        planId: "plan-88", patientId: "pat-1001", financed: Money(amount: 120_000, currency: "USD"),
        at: Timestamp("2026-12-01T17:05:00Z")!)
}

public struct PlanPaused: PlanLifecycleEvent {
    public static let type = EventType("plans.plan.paused", version: 1)
    public static let summary = "A payment plan was paused; it still finances its amount."
    public var planId: String
    public var patientId: String
    public var financed: Money
    public var at: Timestamp

    public init(planId: String, patientId: String, financed: Money, at: Timestamp) {
        self.planId = planId
        self.patientId = patientId
        self.financed = financed
        self.at = at
    }

    public static let example = PlanPaused(
        planId: "plan-88", patientId: "pat-1001", financed: Money(amount: 120_000, currency: "USD"),
        at: Timestamp("2026-12-01T17:05:00Z")!)
}

public struct PlanDefaulted: PlanLifecycleEvent {
    public static let type = EventType("plans.plan.defaulted", version: 1)
    public static let summary = "A payment plan defaulted after missed installments; what it financed is collectible again."
    public var planId: String
    public var patientId: String
    public var financed: Money
    public var at: Timestamp

    public init(planId: String, patientId: String, financed: Money, at: Timestamp) {
        self.planId = planId
        self.patientId = patientId
        self.financed = financed
        self.at = at
    }

    public static let example = PlanDefaulted(
        planId: "plan-88", patientId: "pat-1001", financed: Money(amount: 120_000, currency: "USD"),
        at: Timestamp("2026-12-01T17:05:00Z")!)
}

public struct PlanCompleted: PlanLifecycleEvent {
    public static let type = EventType("plans.plan.completed", version: 1)
    public static let summary = "A payment plan was paid off."
    public var planId: String
    public var patientId: String
    public var financed: Money
    public var at: Timestamp

    public init(planId: String, patientId: String, financed: Money, at: Timestamp) {
        self.planId = planId
        self.patientId = patientId
        self.financed = financed
        self.at = at
    }

    public static let example = PlanCompleted(
        planId: "plan-88", patientId: "pat-1001", financed: Money(amount: 120_000, currency: "USD"),
        at: Timestamp("2026-12-01T17:05:00Z")!)
}

public struct PlanCancelled: PlanLifecycleEvent {
    public static let type = EventType("plans.plan.cancelled", version: 1)
    public static let summary = "A payment plan was cancelled; what it financed is collectible again."
    public var planId: String
    public var patientId: String
    public var financed: Money
    public var at: Timestamp

    public init(planId: String, patientId: String, financed: Money, at: Timestamp) {
        self.planId = planId
        self.patientId = patientId
        self.financed = financed
        self.at = at
    }

    public static let example = PlanCancelled(
        planId: "plan-88", patientId: "pat-1001", financed: Money(amount: 120_000, currency: "USD"),
        at: Timestamp("2026-12-01T17:05:00Z")!)
}
