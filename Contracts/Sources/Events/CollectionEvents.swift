// Events that payments publishes about money it collects: payments, refunds, saved payment methods,
// balances due.

/// How a payment was made.
public enum PaymentMethodKind: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case cash, check, card
    case cardOnFile = "card_on_file"
    case ach
    /// An outside lender (CareCredit, Sunbit, …) paid the practice: recorded, not charged.
    case financing
}

/// Who started a payment.
public enum PaymentOrigin: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    /// Staff at the front desk or in the billing office.
    case desk
    /// The patient, with their own token.
    case patient
    /// The daily auto-charge run or its retries of a soft decline.
    case autoCharge = "auto_charge"
    /// A payment plan's down payment, installment or payoff (`plans.payment.requested.v1`).
    case plan
}

/// What a gateway said when it refused a payment, in Stripe's terms.
public struct PaymentFailure: Codable, Hashable, Sendable {
    /// e.g. `card_declined`, `expired_card`, `processing_error`, `bank_account_return`, `authorization_required`.
    public var code: String
    /// The issuer's reason for a card decline, e.g. `generic_decline`, `insufficient_funds`; `R01` for an ACH return.
    public var declineCode: String?
    public var message: String

    public init(code: String, declineCode: String? = nil, message: String) {
        self.code = code
        self.declineCode = declineCode
        self.message = message
    }
}

/// Where a payment went: the charges it paid, oldest first.
public struct PaymentAllocation: Codable, Hashable, Sendable {
    public var chargeId: String
    public var amount: Money

    public init(chargeId: String, amount: Money) {
        self.chargeId = chargeId
        self.amount = amount
    }
}

/// A payment plan and one of its installments, when a payment pays a plan.
public struct PlanReference: Codable, Hashable, Sendable {
    public var planId: String
    public var installmentId: String?

    public init(planId: String, installmentId: String?) {
        self.planId = planId
        self.installmentId = installmentId
    }
}

/// Money reached the practice: the patient's balance went down by `amount`.
public struct PaymentSucceeded: ClinicEvent {
    public static let type = EventType("payments.payment.succeeded", version: 1)
    public static let summary = "A payment succeeded (cash, check, card, card on file, ACH settled, financing); the balance went down."
    public var paymentId: String
    public var patientId: String
    public var amount: Money
    public var method: PaymentMethodKind
    public var origin: PaymentOrigin
    /// Card brand and last four digits, when a card paid.
    public var cardBrand: String?
    public var cardLast4: String?
    public var reference: String?
    public var plan: PlanReference?
    public var allocations: [PaymentAllocation]
    /// The patient's balance after the payment.
    public var balance: Money
    public var succeededAt: Timestamp

    public init(paymentId: String, patientId: String, amount: Money, method: PaymentMethodKind, origin: PaymentOrigin,
                cardBrand: String?, cardLast4: String?, reference: String?, plan: PlanReference?,
                allocations: [PaymentAllocation], balance: Money, succeededAt: Timestamp) {
        self.paymentId = paymentId
        self.patientId = patientId
        self.amount = amount
        self.method = method
        self.origin = origin
        self.cardBrand = cardBrand
        self.cardLast4 = cardLast4
        self.reference = reference
        self.plan = plan
        self.allocations = allocations
        self.balance = balance
        self.succeededAt = succeededAt
    }

    public static let example = PaymentSucceeded(
        paymentId: "pay_7d1c", patientId: "pat-1001", amount: Money(amount: 10_000, currency: "USD"), method: .cardOnFile,
        origin: .plan, cardBrand: "visa", cardLast4: "4242", reference: "front desk receipt 118",
        plan: PlanReference(planId: "plan-88", installmentId: "plan-88-inst-3"),
        allocations: [PaymentAllocation(chargeId: "chg-90001", amount: Money(amount: 10_000, currency: "USD"))],
        balance: Money(amount: 8_500, currency: "USD"), succeededAt: Timestamp("2026-12-01T17:00:00Z")!)
}

/// A payment did not go through; the balance did not move.
public struct PaymentFailed: ClinicEvent {
    public static let type = EventType("payments.payment.failed", version: 1)
    public static let summary = "A payment failed (declined, returned, not authorized); says whether retries of a soft decline are exhausted."
    public var paymentId: String
    public var patientId: String
    public var amount: Money
    public var method: PaymentMethodKind
    public var origin: PaymentOrigin
    public var failure: PaymentFailure
    /// A soft decline (insufficient funds, processing error) may succeed later; a hard one will not.
    public var soft: Bool
    /// True when no retry follows: a hard decline, or the last retry of a soft one. Plans count a missed
    /// installment only then.
    public var final: Bool
    public var nextRetryAt: Timestamp?
    public var plan: PlanReference?
    public var paymentMethodId: String?
    public var failedAt: Timestamp

    public init(paymentId: String, patientId: String, amount: Money, method: PaymentMethodKind, origin: PaymentOrigin,
                failure: PaymentFailure, soft: Bool, final: Bool, nextRetryAt: Timestamp?, plan: PlanReference?,
                paymentMethodId: String?, failedAt: Timestamp) {
        self.paymentId = paymentId
        self.patientId = patientId
        self.amount = amount
        self.method = method
        self.origin = origin
        self.failure = failure
        self.soft = soft
        self.final = final
        self.nextRetryAt = nextRetryAt
        self.plan = plan
        self.paymentMethodId = paymentMethodId
        self.failedAt = failedAt
    }

    public static let example = PaymentFailed(
        paymentId: "pay_7d1c", patientId: "pat-1001", amount: Money(amount: 10_000, currency: "USD"), method: .cardOnFile,
        origin: .plan, failure: PaymentFailure(code: "card_declined", declineCode: "insufficient_funds",
                                               message: "Your card has insufficient funds."),
        soft: true, final: false, nextRetryAt: Timestamp("2026-12-02T14:00:00Z")!,
        plan: PlanReference(planId: "plan-88", installmentId: "plan-88-inst-3"), paymentMethodId: "pm_4f2b",
        failedAt: Timestamp("2026-12-01T17:00:00Z")!)
}

/// Money went back to the patient; the balance went up by `amount`.
public struct PaymentRefunded: ClinicEvent {
    public static let type = EventType("payments.payment.refunded", version: 1)
    public static let summary = "A payment was refunded in full or in part; the balance went up by the refund."
    public var refundId: String
    public var paymentId: String
    public var patientId: String
    public var amount: Money
    /// Everything refunded from the payment so far, this refund included.
    public var totalRefunded: Money
    public var method: PaymentMethodKind
    public var reason: String?
    public var plan: PlanReference?
    public var balance: Money
    public var refundedAt: Timestamp

    public init(refundId: String, paymentId: String, patientId: String, amount: Money, totalRefunded: Money,
                method: PaymentMethodKind, reason: String?, plan: PlanReference?, balance: Money, refundedAt: Timestamp) {
        self.refundId = refundId
        self.paymentId = paymentId
        self.patientId = patientId
        self.amount = amount
        self.totalRefunded = totalRefunded
        self.method = method
        self.reason = reason
        self.plan = plan
        self.balance = balance
        self.refundedAt = refundedAt
    }

    public static let example = PaymentRefunded(
        refundId: "re_19ab", paymentId: "pay_7d1c", patientId: "pat-1001", amount: Money(amount: 2_500, currency: "USD"),
        totalRefunded: Money(amount: 2_500, currency: "USD"), method: .card, reason: "overpaid at the desk",
        plan: PlanReference(planId: "plan-88", installmentId: "plan-88-inst-3"),
        balance: Money(amount: 11_000, currency: "USD"), refundedAt: Timestamp("2026-12-03T10:00:00Z")!)
}

/// The patient's permission to charge a saved method without asking each time.
public struct AutoChargeAuthorization: Codable, Hashable, Sendable {
    /// The words the patient agreed to.
    public var consentText: String
    /// Who recorded it (the patient, or the staff member who took it).
    public var authorizedBy: String
    public var authorizedAt: Timestamp
    /// `in_person`, `portal`, `phone` or `paper`.
    public var channel: String
    /// The most one automatic charge may take; absent means no limit beyond the balance.
    public var maximumPerCharge: Money?

    public init(consentText: String, authorizedBy: String, authorizedAt: Timestamp, channel: String,
                maximumPerCharge: Money?) {
        self.consentText = consentText
        self.authorizedBy = authorizedBy
        self.authorizedAt = authorizedAt
        self.channel = channel
        self.maximumPerCharge = maximumPerCharge
    }
}

/// A card or bank account saved with the gateway for a patient. Never a card number: a token, brand, last 4.
public struct PaymentMethodSaved: ClinicEvent {
    public static let type = EventType("payments.payment-method.saved", version: 1)
    public static let summary = "A patient's card or bank account was saved with the gateway (token, brand, last 4, expiry, auto-charge authorization)."
    public var paymentMethodId: String
    public var patientId: String
    /// `card` or `bank_account`.
    public var kind: String
    public var brand: String?
    public var last4: String
    public var expMonth: Int?
    public var expYear: Int?
    public var autoCharge: AutoChargeAuthorization?
    public var savedAt: Timestamp
    /// The payment plan whose enrolment page saved it (`plans.payment-method.submitted.v1`); the plan's
    /// autopay uses it.
    public var planId: String?

    public init(paymentMethodId: String, patientId: String, kind: String, brand: String?, last4: String, expMonth: Int?,
                expYear: Int?, autoCharge: AutoChargeAuthorization?, savedAt: Timestamp, planId: String? = nil) {
        self.planId = planId
        self.paymentMethodId = paymentMethodId
        self.patientId = patientId
        self.kind = kind
        self.brand = brand
        self.last4 = last4
        self.expMonth = expMonth
        self.expYear = expYear
        self.autoCharge = autoCharge
        self.savedAt = savedAt
    }

    public static let example = PaymentMethodSaved(
        paymentMethodId: "pm_4f2b", patientId: "pat-1001", kind: "card", brand: "visa", last4: "4242", expMonth: 12,
        expYear: 2028,
        autoCharge: AutoChargeAuthorization(
            consentText: "I authorize Bright Smiles Dental to charge this card for balances due.",
            authorizedBy: "pat-1001", authorizedAt: Timestamp("2026-11-25T09:00:00Z")!, channel: "in_person",
            maximumPerCharge: Money(amount: 50_000, currency: "USD")),
        savedAt: Timestamp("2026-11-25T09:00:01Z")!, planId: "plan_5f1c")
}

/// A saved method may no longer be charged: the patient or staff revoked it, or a hard decline flagged it.
public struct PaymentMethodRevoked: ClinicEvent {
    public static let type = EventType("payments.payment-method.revoked", version: 1)
    public static let summary = "A saved payment method was revoked (by the patient or staff) or flagged unusable after a hard decline."
    public var paymentMethodId: String
    public var patientId: String
    /// `revoked`, `card_needs_updating` or `blocked_for_declines`.
    public var reason: String
    public var revokedAt: Timestamp

    public init(paymentMethodId: String, patientId: String, reason: String, revokedAt: Timestamp) {
        self.paymentMethodId = paymentMethodId
        self.patientId = patientId
        self.reason = reason
        self.revokedAt = revokedAt
    }

    public static let example = PaymentMethodRevoked(
        paymentMethodId: "pm_4f2b", patientId: "pat-1001", reason: "revoked", revokedAt: Timestamp("2026-12-05T08:00:00Z")!)
}

/// A balance is due and no authorized card could pay it: notifications sends a payment link, plans may
/// offer a plan.
public struct BalanceDue: ClinicEvent {
    public static let type = EventType("payments.balance.due", version: 1)
    public static let summary = "A patient owes a balance that the auto-charge run could not collect (no authorized card, or declined)."
    public var patientId: String
    public var balance: Money
    /// What payments may collect: the balance less what active plans finance and less expected insurance.
    public var collectible: Money
    /// `no_authorized_method`, `declined` or `method_needs_updating`.
    public var reason: String
    public var oldestServiceDate: CalendarDate?
    public var runDate: CalendarDate

    public init(patientId: String, balance: Money, collectible: Money, reason: String, oldestServiceDate: CalendarDate?,
                runDate: CalendarDate) {
        self.patientId = patientId
        self.balance = balance
        self.collectible = collectible
        self.reason = reason
        self.oldestServiceDate = oldestServiceDate
        self.runDate = runDate
    }

    public static let example = BalanceDue(
        patientId: "pat-1001", balance: Money(amount: 18_500, currency: "USD"),
        collectible: Money(amount: 8_500, currency: "USD"), reason: "no_authorized_method",
        oldestServiceDate: CalendarDate(year: 2026, month: 11, day: 2), runDate: CalendarDate(year: 2026, month: 12, day: 3)!)
}
