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
    /// What the plan still finances (everything still owed on it, down payment included): payments does
    /// not collect it outside the plan while the plan runs. 0 once it defaulted, completed or was cancelled.
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
    public enum Resumed: PlanStep {
        public static let fact = "resumed"
        public static let summary = "A paused payment plan resumed (by hand or when its pause ran out); its schedule moved later."
    }
    public enum Updated: PlanStep {
        public static let fact = "updated"
        public static let summary = "A payment plan's balance or terms changed (installment paid, terms modified, insurance paid part); financed is what it still finances."
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
public typealias PlanResumed = PlanLifecycle<PlanSteps.Resumed>
public typealias PlanUpdated = PlanLifecycle<PlanSteps.Updated>
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

/// A plan offered to a patient whose balance could not be collected: options within the clinic's policy
/// and a single-use link to a page where the patient picks one, signs and saves a card. Notifications
/// sends the link.
public struct PlanOffered: ClinicEvent {
    public static let type = EventType("plans.plan.offered", version: 1)
    public static let summary = "Plans offers a payment plan for a balance (options and a single-use enrolment link that notifications sends)."
    public var offerId: String
    public var patientId: String
    public var amount: Money
    /// One line per option, e.g. "6 monthly payments of 170.00 USD after 200.00 USD down".
    public var options: [String]
    /// The patient-facing page (plans serves it); single use, expires at `expiresAt` (wall time).
    public var link: String
    public var expiresAt: Timestamp
    /// Why it was offered, e.g. `balance_due:no_authorized_method`.
    public var reason: String

    public init(offerId: String, patientId: String, amount: Money, options: [String], link: String, expiresAt: Timestamp,
                reason: String) {
        self.offerId = offerId
        self.patientId = patientId
        self.amount = amount
        self.options = options
        self.link = link
        self.expiresAt = expiresAt
        self.reason = reason
    }

    public static let example = PlanOffered(
        offerId: "off_7c21", patientId: "pat-1001", amount: Money(amount: 120_000, currency: "USD"),
        options: ["3 monthly payments of 320.00 USD after 240.00 USD down", "6 monthly payments of 160.00 USD after 240.00 USD down"],
        link: "http://127.0.0.1:8083/plan-offers/Q2xpbmljTGVkZ2Vy", expiresAt: Timestamp("2026-12-15T17:00:00Z")!,
        reason: "balance_due:no_authorized_method")
}

/// A patient enrolling in a plan on its offer page gave a card (a gateway token, never a number) and the
/// authorization to charge it for the plan: payments saves it with the gateway and answers
/// `payments.payment-method.saved.v1` naming the plan.
public struct PlanCardSubmitted: ClinicEvent {
    public static let type = EventType("plans.payment-method.submitted", version: 1)
    public static let summary = "A patient enrolling in a payment plan gave a card token and its autopay authorization; payments saves it."
    public var planId: String
    public var patientId: String
    /// A one-time gateway token (`tok_…`, `btok_…`, or a Stripe PaymentMethod id).
    public var token: String
    public var autoCharge: AutoChargeAuthorization

    public init(planId: String, patientId: String, token: String, autoCharge: AutoChargeAuthorization) {
        self.planId = planId
        self.patientId = patientId
        self.token = token
        self.autoCharge = autoCharge
    }

    public static let example = PlanCardSubmitted(
        planId: "plan_5f1c", patientId: "pat-1001", token: "tok_visa",
        autoCharge: AutoChargeAuthorization(
            consentText: "I authorize Bright Smiles Dental to charge this card for my payment plan's down payment and installments.",
            authorizedBy: "pat-1001", authorizedAt: Timestamp("2026-12-01T17:04:00Z")!, channel: "portal",
            maximumPerCharge: Money(amount: 25_000, currency: "USD")))
}
