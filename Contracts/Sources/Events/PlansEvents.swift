// Events that the plans service publishes and payments reads: the money a plan asks for, and the
// plan's life (what it finances, so that payments never collects the same dollar twice).

/// One step of a plan's life: the event's name and its one-line summary.
public protocol PlanStep: Sendable {
    /// The fact, e.g. `activated` in `plans.plan.activated.v1`.
    static var fact: String { get }
    static var summary: String { get }
}

/// A plan's lifecycle event: every step carries the same facts, so one type serves them all
/// (`PlanActivated` is `PlanLifecycle<Activated>`).
public struct PlanLifecycle<Step: PlanStep>: ClinicEvent {
    public static var type: EventType { EventType("plans.plan.\(Step.fact)", version: 1) }
    public static var summary: String { Step.summary }
    /// `PlanActivated`, as the aliases name it.
    public static var title: String { "Plan" + Step.fact.prefix(1).uppercased() + Step.fact.dropFirst() }
    public var planId: String
    public var patientId: String
    /// What the plan still finances: payments does not collect it outside the plan while the plan is
    /// created, active or paused.
    public var financed: Money
    public var at: Timestamp

    public init(planId: String, patientId: String, financed: Money, at: Timestamp) {
        self.planId = planId
        self.patientId = patientId
        self.financed = financed
        self.at = at
    }

    public static var example: Self {
        Self(planId: "plan-88", patientId: "pat-1001", financed: Money(amount: 120_000, currency: "USD"),
             at: Timestamp("2026-12-01T17:05:00Z")!)
    }
}

public enum PlanSteps {
    public enum Created: PlanStep {
        public static let fact = "created"
        public static let summary = "A payment plan was created and awaits the patient's agreement."
    }
    public enum Activated: PlanStep {
        public static let fact = "activated"
        public static let summary = "A payment plan became active: payments stops collecting what it finances outside the plan."
    }
    public enum Paused: PlanStep {
        public static let fact = "paused"
        public static let summary = "A payment plan was paused; it still finances its amount."
    }
    public enum Defaulted: PlanStep {
        public static let fact = "defaulted"
        public static let summary = "A payment plan defaulted after missed installments; what it financed is collectible again."
    }
    public enum Completed: PlanStep {
        public static let fact = "completed"
        public static let summary = "A payment plan was paid off."
    }
    public enum Cancelled: PlanStep {
        public static let fact = "cancelled"
        public static let summary = "A payment plan was cancelled; what it financed is collectible again."
    }
}

public typealias PlanCreated = PlanLifecycle<PlanSteps.Created>
public typealias PlanActivated = PlanLifecycle<PlanSteps.Activated>
public typealias PlanPaused = PlanLifecycle<PlanSteps.Paused>
public typealias PlanDefaulted = PlanLifecycle<PlanSteps.Defaulted>
public typealias PlanCompleted = PlanLifecycle<PlanSteps.Completed>
public typealias PlanCancelled = PlanLifecycle<PlanSteps.Cancelled>

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
