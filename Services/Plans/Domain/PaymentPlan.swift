import Contracts
import Foundation

/// The spec's plan statuses, spelled as the spec spells them.
enum PlanStatus: String, Codable, Sendable, CaseIterable {
    case pending = "PENDING", active = "ACTIVE", paused = "PAUSED", completed = "COMPLETED", defaulted = "DEFAULTED"
    case cancelled = "CANCELLED"

    var isFinal: Bool { self == .completed || self == .defaulted || self == .cancelled }
}

/// Something a plan's change tells the rest of the suite (mapped to Contracts events by the service).
enum PlanNews: Equatable, Sendable {
    case created, activated, paused, resumed, updated, defaulted, completed, cancelled
    /// Ask payments to charge this scheduled payment (down payment, installment) or the payoff.
    case charge(ScheduledPayment, PlanPaymentKind)
}

/// Why a plan change is refused: a message a clerk understands, and the field at fault.
struct PlanProblem: Error, Equatable {
    var code: String
    var message: String
    var param: String?
}

/// A payment plan (the spec's `PaymentPlan` with its `ScheduledPayment`s): amounts in minor units of
/// `currency`. Every change is a method (here, `PlanLifecycle.swift`, `PlanChanges.swift`), pure, returning
/// what it tells the suite.
struct PaymentPlan: Codable, Sendable {
    var id: String
    var clinicId: String
    var patientId: String
    var planNumber: String
    var status: PlanStatus
    var currency: String
    var totalAmount: Int64
    var downPayment: Int64
    var financedAmount: Int64
    var aprBasisPoints: Int
    var frequency: PaymentFrequency
    var numberOfPayments: Int
    var startDate: CalendarDate
    var paymentMethodId: String?
    var autoPayEnabled: Bool
    var treatmentType: String?
    var treatmentPlanId: String?
    var estimateId: String?
    var description: String?
    /// Whether the patient must sign before the plan starts (the clinic's policy at creation).
    var signatureRequired: Bool
    /// Bumped by every change of terms: a changed plan needs a new signature.
    var termsVersion: Int = 1
    var signature: Signature?
    var consecutiveMissed: Int = 0
    var pause: Pause?
    var pausedDaysUsed: Int = 0
    /// Bumped when the open installments are recalculated, so that their ids change with their amounts.
    var revision: Int = 1
    var payoffRequestedId: String?
    var payments: [ScheduledPayment]
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
    var createdBy: String
    var updatedBy: String
    var endedAt: Date?

    struct Signature: Codable, Sendable, Equatable {
        var signedBy: String
        var signedAt: Date
        /// `typed_name`, `drawn`, `in_person`, `portal`.
        var method: String
        var termsVersion: Int
        /// SHA-256 of the agreement PDF the signer saw.
        var agreementSHA256: String
    }

    struct Pause: Codable, Sendable, Equatable {
        var from: CalendarDate
        var until: CalendarDate
    }

    // MARK: The spec's derived fields

    var installments: [ScheduledPayment] { payments.filter { !$0.isDownPayment } }
    var downPaymentLine: ScheduledPayment? { payments.first { $0.isDownPayment } }
    var remainingBalance: Int64 { payments.reduce(0) { $0 + $1.owed } }
    var completedPayments: Int { installments.filter { $0.status == .paid }.count }
    var financeCharge: Int64 { installments.reduce(0) { $0 + $1.interest } }
    /// The installment amount whatever the frequency: the next open one's, else the first one's.
    var monthlyPayment: Int64 { (installments.first { $0.isOpen } ?? installments.first)?.amount ?? 0 }
    var nextPaymentDate: CalendarDate? { installments.first { $0.isOpen }?.dueDate }
    var endDate: CalendarDate? { installments.last { $0.status != .cancelled }?.dueDate }
    var isSigned: Bool { signature?.termsVersion == termsVersion }
    var downPaymentSettled: Bool { downPaymentLine.map { $0.status == .paid || $0.status == .cancelled } ?? true }
    /// What payments must not collect outside the plan while it runs: everything still owed on it.
    var financedNow: Money { Money(amount: status.isFinal ? 0 : remainingBalance, currency: currency) }

    // MARK: Building

    /// The scheduled payments of a new plan: the down payment (number 0, due at the start) and the
    /// installments of the financed amount.
    static func schedule(planId: String, revision: Int, downPayment: Int64, financed: Int64, count: Int,
                         frequency: PaymentFrequency, firstDue: CalendarDate, start: CalendarDate,
                         aprBasisPoints: Int, firstNumber: Int = 1, dayOfMonth: Int? = nil) -> [ScheduledPayment] {
        // Monthly installments keep the start's day of the month (or the day a pause moved them to),
        // clamped to short months.
        var lines: [ScheduledPayment] = []
        if downPayment > 0 && firstNumber == 1 {
            lines.append(ScheduledPayment(id: "\(planId)-0-r\(revision)", number: 0, dueDate: start, amount: downPayment,
                                          principal: downPayment, interest: 0))
        }
        guard count > 0 else { return lines }
        for (offset, line) in InstallmentCalculator.lines(amount: financed, count: count, frequency: frequency,
                                                          firstDue: firstDue, dayOfMonth: dayOfMonth ?? start.day,
                                                          aprBasisPoints: aprBasisPoints).enumerated() {
            let number = firstNumber + offset
            lines.append(ScheduledPayment(id: "\(planId)-\(number)-r\(revision)", number: number, dueDate: line.dueDate,
                                          amount: line.amount, principal: line.principal, interest: line.interest))
        }
        return lines
    }

    /// A new plan on `terms` under the clinic's `policy` (its APR and whether it needs a signature), PENDING
    /// until `start`. The terms were checked against the policy by the caller.
    static func new(id: String, clinicId: String, patientId: String, planNumber: String, terms: PlanTerms, policy: PlanPolicy,
                    paymentMethodId: String?, autoPay: Bool, treatmentPlanId: String?, estimateId: String?,
                    description: String?, by actor: String, at now: Date) -> PaymentPlan {
        let apr = policy.apr(treatmentType: terms.treatmentType)
        let financed = terms.total.amount - terms.downPayment
        return PaymentPlan(
            id: id, clinicId: clinicId, patientId: patientId, planNumber: planNumber, status: .pending,
            currency: terms.total.currency, totalAmount: terms.total.amount, downPayment: terms.downPayment,
            financedAmount: financed, aprBasisPoints: apr, frequency: terms.frequency, numberOfPayments: terms.numberOfPayments,
            startDate: terms.startDate, paymentMethodId: paymentMethodId, autoPayEnabled: autoPay,
            treatmentType: terms.treatmentType, treatmentPlanId: treatmentPlanId, estimateId: estimateId, description: description,
            signatureRequired: policy.signatureRequired,
            payments: schedule(planId: id, revision: 1, downPayment: terms.downPayment, financed: financed,
                               count: terms.numberOfPayments, frequency: terms.frequency, firstDue: terms.firstDueDate,
                               start: terms.startDate, aprBasisPoints: apr),
            createdAt: now, updatedAt: now, createdBy: actor, updatedBy: actor)
    }

    /// What a new plan says first: created, and — when it needs no signature and no down payment — active.
    mutating func start(today: CalendarDate, at now: Date) -> [PlanNews] {
        var news: [PlanNews] = [.created]
        news += advancePending(today: today, at: now)
        return news
    }

    // MARK: Helpers

    /// The day of the month recalculated installments fall on: the start's, unless a pause moved them.
    func recalculationDay(_ first: ScheduledPayment) -> Int {
        pausedDaysUsed == 0 ? startDate.day : first.dueDate.day
    }

    mutating func finish(_ final: PlanStatus, at now: Date) -> [PlanNews] {
        status = final
        endedAt = now
        pause = nil
        switch final {
        case .completed: return [.completed]
        case .defaulted: return [.defaulted]
        default: return [.cancelled]
        }
    }

    mutating func touch(_ now: Date, by actor: String) {
        updatedAt = now
        updatedBy = actor
    }

    func problem(_ code: String, _ message: String, param: String? = nil) -> PlanProblem {
        PlanProblem(code: code, message: message, param: param)
    }
}

extension PaymentPlan {
    /// What a change of the plan adds to the patient's payment behaviour: installments newly paid (on
    /// time or late), newly missed, a default, a completion.
    func historyChange(since before: PaymentPlan?) -> (onTime: Int, late: Int, missed: Int, defaults: Int, completed: Int) {
        let old = Dictionary((before?.payments ?? []).map { ($0.id, $0.status) }, uniquingKeysWith: { a, _ in a })
        var result = (onTime: 0, late: 0, missed: 0, defaults: 0, completed: 0)
        for line in installments where old[line.id] != line.status {
            if line.status == .paid { (line.daysLate ?? 0) > 0 ? (result.late += 1) : (result.onTime += 1) }
            if line.status == .missed { result.missed += 1 }
        }
        if status != before?.status {
            if status == .defaulted { result.defaults = 1 }
            if status == .completed { result.completed = 1 }
        }
        return result
    }
}
