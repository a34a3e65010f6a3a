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
/// `currency`. Every change is a method here, pure, returning what it tells the suite.
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

    // MARK: Signing and activation

    mutating func sign(by signer: String, method: String, agreementSHA256: String, today: CalendarDate, at now: Date)
        throws(PlanProblem) -> [PlanNews]
    {
        guard !status.isFinal else { throw problem("plan_closed", "a \(status.rawValue) plan cannot be signed") }
        guard !isSigned else { throw problem("already_signed", "this version of the agreement is already signed") }
        signature = Signature(signedBy: signer, signedAt: now, method: method, termsVersion: termsVersion,
                              agreementSHA256: agreementSHA256)
        touch(now, by: signer)
        return advancePending(today: today, at: now)
    }

    /// A pending plan asks for its down payment once signed (autopay), and becomes active once signed and
    /// the down payment has succeeded.
    private mutating func advancePending(today: CalendarDate, at now: Date) -> [PlanNews] {
        guard status == .pending, isSigned || !signatureRequired else { return [] }
        if downPaymentSettled {
            status = .active
            return [.activated] + (autoPayEnabled && paymentMethodId != nil ? requestDue(today: today) : [])
        }
        if autoPayEnabled, paymentMethodId != nil, let index = payments.firstIndex(where: { $0.isDownPayment && $0.status == .scheduled }) {
            payments[index].status = .requested
            return [.charge(payments[index], .downPayment)]
        }
        return []
    }

    /// The card a patient gave on the enrolment page, once payments saved it: autopay starts with it
    /// (the down payment is asked for if the plan is signed).
    mutating func attachMethod(_ paymentMethodId: String, today: CalendarDate, at now: Date) -> [PlanNews] {
        guard status == .pending || status == .active, self.paymentMethodId == nil else { return [] }
        self.paymentMethodId = paymentMethodId
        autoPayEnabled = true
        touch(now, by: "system:payments")
        let news = advancePending(today: today, at: now)
        return news.isEmpty ? [.updated] : news
    }

    // MARK: Money in and out

    /// A payment that payments says succeeded for this plan: the named installment, or — paid at the desk
    /// against the plan without one — the oldest amounts owed first. A paid installment ends a run of misses.
    mutating func recordPayment(installmentId: String?, amount: Int64, today: CalendarDate, at now: Date) -> [PlanNews] {
        guard !status.isFinal || status == .defaulted else { return [] }
        if let installmentId, installmentId == payoffRequestedId {
            return settlePayoff(today: today, at: now)
        }
        var left = amount
        let named = installmentId.flatMap { id in payments.firstIndex { $0.id == id } }
        let order = (named.map { [$0] } ?? []) + payments.indices.filter { $0 != named && payments[$0].isOpen }
        for index in order where left > 0 && payments[index].owed > 0 {
            let part = min(left, payments[index].owed)
            payments[index].paid += part
            left -= part
            if payments[index].owed == 0 {
                payments[index].status = .paid
                payments[index].paidAt = now
                payments[index].daysLate = max(0, payments[index].dueDate.days(until: today))
                if !payments[index].isDownPayment { consecutiveMissed = 0 }
            }
        }
        touch(now, by: "system:payments")
        if status == .defaulted { return [] }
        if remainingBalance == 0 { return finish(.completed, at: now) }
        if status == .pending { return advancePending(today: today, at: now) }
        return [.updated]
    }

    /// A charge that failed for good (payments' retries of a soft decline are over). Three installments
    /// missed in a row default the plan; a failed down payment leaves the plan pending.
    mutating func recordFinalFailure(installmentId: String?, today: CalendarDate, at now: Date) -> [PlanNews] {
        guard !status.isFinal else { return [] }
        if let installmentId, installmentId == payoffRequestedId {
            payoffRequestedId = nil  // the plan goes on as it was
            return []
        }
        guard let index = payments.firstIndex(where: { $0.id == installmentId }), payments[index].status == .requested else {
            return []
        }
        return miss(index, at: now)
    }

    private mutating func miss(_ index: Int, at now: Date) -> [PlanNews] {
        payments[index].status = .missed
        payments[index].missedAt = now
        touch(now, by: "system:plans")
        guard !payments[index].isDownPayment else { return [] }
        consecutiveMissed += 1
        return consecutiveMissed >= 3 ? finish(.defaulted, at: now) : [.updated]
    }

    /// The day's work: installments due are asked of payments (autopay), and without autopay an
    /// installment unpaid `graceDays` after its due date is missed. A pause that runs out resumes first.
    mutating func runDue(today: CalendarDate, graceDays: Int, at now: Date) -> [PlanNews] {
        var news: [PlanNews] = []
        if status == .paused, let pause, pause.until <= today { news += resume(today: pause.until, at: now, by: "system:plans") }
        guard status == .active else { return news }
        if autoPayEnabled && paymentMethodId != nil { return news + requestDue(today: today) }
        for index in payments.indices where payments[index].status == .scheduled && !payments[index].isDownPayment
            && payments[index].dueDate.adding(days: graceDays) < today && status == .active
        {
            news += miss(index, at: now)
        }
        return news
    }

    private mutating func requestDue(today: CalendarDate) -> [PlanNews] {
        var news: [PlanNews] = []
        for index in payments.indices where payments[index].status == .scheduled && !payments[index].isDownPayment
            && payments[index].dueDate <= today
        {
            payments[index].status = .requested
            news.append(.charge(payments[index], .installment))
        }
        return news
    }

    // MARK: Pause, modify, payoff, cancel, insurance

    mutating func pause(until: CalendarDate, today: CalendarDate, maxPauseDays: Int, at now: Date, by actor: String)
        throws(PlanProblem) -> [PlanNews]
    {
        guard status == .active else { throw problem("plan_not_active", "only an ACTIVE plan can be paused; this one is \(status.rawValue)") }
        let days = today.days(until: until)
        guard days >= 1 else { throw problem("pause_invalid", "a pause must last at least one day", param: "days") }
        guard pausedDaysUsed + days <= maxPauseDays else {
            throw problem("pause_too_long", "a plan may be paused for at most \(maxPauseDays) days in total; \(pausedDaysUsed) used, \(days) asked",
                          param: "days")
        }
        pause = Pause(from: today, until: until)
        status = .paused
        touch(now, by: actor)
        return [.paused]
    }

    /// Ends a pause (by hand, or by itself when it runs out): installments not yet asked for move later by
    /// the days the plan was paused.
    mutating func resume(today: CalendarDate, at now: Date, by actor: String) -> [PlanNews] {
        guard status == .paused, let pause else { return [] }
        let days = max(0, pause.from.days(until: min(today, pause.until)))
        for index in payments.indices where payments[index].status == .scheduled && payments[index].dueDate >= pause.from {
            payments[index].dueDate = payments[index].dueDate.adding(days: days)
        }
        pausedDaysUsed += days
        self.pause = nil
        status = .active
        touch(now, by: actor)
        return [.resumed]
    }

    /// Changes the installment amount or the number of installments: the installments not yet asked for
    /// are recalculated from the first of them (paid, asked-for and missed ones stay), with new ids. The
    /// new terms need a new signature.
    mutating func modify(installmentAmount: Int64?, numberOfPayments: Int?, maxTermMonths: Int, at now: Date, by actor: String)
        throws(PlanProblem) -> [PlanNews]
    {
        guard status == .active || status == .paused || status == .pending else {
            throw problem("plan_closed", "a \(status.rawValue) plan cannot be changed")
        }
        let fixed = installments.filter { !$0.isRecalculable }
        let open = installments.filter(\.isRecalculable)
        guard let first = open.first else { throw problem("nothing_to_change", "every installment is already paid or asked for") }
        let principal = open.reduce(0) { $0 + $1.principal }
        let count: Int
        if let numberOfPayments {
            guard numberOfPayments > fixed.count else {
                throw problem("payments_invalid", "numberOfPayments must be more than the \(fixed.count) installments already paid or asked for",
                              param: "numberOfPayments")
            }
            count = numberOfPayments - fixed.count
        } else if let installmentAmount {
            guard installmentAmount > 0 else { throw problem("amount_invalid", "installmentAmount must be positive", param: "installmentAmount") }
            count = Int((principal + installmentAmount - 1) / installmentAmount)
        } else {
            throw problem("parameter_missing", "send installmentAmount or numberOfPayments", param: "installmentAmount")
        }
        let total = fixed.count + count
        guard frequency.months(for: total) <= maxTermMonths else {
            throw problem("term_too_long", "\(total) \(frequency.rawValue.lowercased()) payments exceed the clinic's maximum term of \(maxTermMonths) months",
                          param: "numberOfPayments")
        }
        revision += 1
        var lines = Self.schedule(planId: id, revision: revision, downPayment: 0, financed: principal, count: count,
                                  frequency: frequency, firstDue: first.dueDate, start: startDate,
                                  aprBasisPoints: aprBasisPoints, firstNumber: first.number, dayOfMonth: recalculationDay(first))
        if let installmentAmount, aprBasisPoints == 0 {
            // A chosen amount: every installment is that amount, the last one what is left.
            for index in lines.indices {
                let amount = index == lines.count - 1 ? principal - installmentAmount * Int64(lines.count - 1) : installmentAmount
                lines[index].amount = amount
                lines[index].principal = amount
            }
        }
        payments = payments.filter { $0.isDownPayment || !$0.isRecalculable } + lines
        self.numberOfPayments = total
        termsVersion += 1
        touch(now, by: actor)
        return [.updated]
    }

    /// What paying the plan off today costs: everything owed, less the interest of installments not yet
    /// due (no penalty, no unearned interest).
    var payoffAmount: Int64 {
        payments.reduce(0) { sum, line in
            line.status == .scheduled ? sum + line.principal - min(line.paid, line.principal) : sum + line.owed
        }
    }

    mutating func requestPayoff(today: CalendarDate, at now: Date, by actor: String) throws(PlanProblem) -> [PlanNews] {
        guard status == .active || status == .paused || status == .pending else {
            throw problem("plan_closed", "a \(status.rawValue) plan cannot be paid off")
        }
        guard paymentMethodId != nil else {
            throw problem("payment_method_missing", "the plan has no saved payment method: pay it off at the desk (method cash)",
                          param: "method")
        }
        let id = "\(self.id)-payoff-r\(revision)"
        payoffRequestedId = id
        touch(now, by: actor)
        let line = ScheduledPayment(id: id, number: -1, dueDate: today, amount: payoffAmount, principal: payoffAmount, interest: 0)
        return [.charge(line, .payoff)]
    }

    private mutating func settlePayoff(today: CalendarDate, at now: Date) -> [PlanNews] {
        for index in payments.indices where payments[index].isOpen {
            if payments[index].status == .scheduled { payments[index].interest = 0 }
            payments[index].amount = payments[index].principal + payments[index].interest
            payments[index].paid = payments[index].amount
            payments[index].status = .paid
            payments[index].paidAt = now
            payments[index].daysLate = max(0, payments[index].dueDate.days(until: today))
        }
        return finish(.completed, at: now)
    }

    mutating func cancel(at now: Date, by actor: String) throws(PlanProblem) -> [PlanNews] {
        guard !status.isFinal else { throw problem("plan_closed", "the plan is already \(status.rawValue)") }
        for index in payments.indices where payments[index].status == .scheduled { payments[index].status = .cancelled }
        touch(now, by: actor)
        return finish(.cancelled, at: now)
    }

    /// Deletes a plan made by mistake (the spec's soft delete): only while no money was paid on it. It
    /// is cancelled first if it still ran, so payments collects its balance as usual.
    mutating func delete(at now: Date, by actor: String) throws(PlanProblem) -> [PlanNews] {
        guard payments.allSatisfy({ $0.paid == 0 }), payoffRequestedId == nil else {
            throw problem("plan_has_payments", "money was paid on this plan: cancel it instead of deleting it")
        }
        let news = status.isFinal ? [] : try cancel(at: now, by: actor)
        deletedAt = now
        return news
    }

    /// Insurance paid part of the treatment: the patient now owes `newTotal` for it. The installments not
    /// yet asked for shrink (same count, recalculated, new ids); what they cannot absorb comes off the
    /// missed ones, partly paid ones and an unpaid down payment, latest first. If nothing is left to pay, the plan is complete.
    mutating func reamortise(newTotal: Int64, at now: Date) -> [PlanNews] {
        guard !status.isFinal, newTotal >= 0, newTotal < totalAmount else { return [] }
        var cut = totalAmount - newTotal
        totalAmount = newTotal
        financedAmount = max(0, newTotal - downPayment)
        let open = installments.filter(\.isRecalculable)
        let principal = open.reduce(0) { $0 + $1.principal }
        let keep = max(0, principal - cut)
        cut -= principal - keep
        revision += 1
        let lines = open.isEmpty || keep == 0 ? [] : Self.schedule(
            planId: id, revision: revision, downPayment: 0, financed: keep, count: open.count, frequency: frequency,
            firstDue: open[0].dueDate, start: startDate, aprBasisPoints: aprBasisPoints, firstNumber: open[0].number,
            dayOfMonth: recalculationDay(open[0]))
        payments = payments.filter { $0.isDownPayment || !$0.isRecalculable } + lines
        for index in payments.indices.reversed() where cut > 0 && (payments[index].status == .missed
            || (payments[index].status == .scheduled && !payments[index].isRecalculable))
        {
            let part = min(cut, payments[index].owed)
            payments[index].amount -= part
            payments[index].principal -= part
            cut -= part
            if payments[index].owed == 0 { payments[index].status = .cancelled }
        }
        payments.sort { $0.number < $1.number }
        touch(now, by: "system:insurance")
        return remainingBalance == 0 ? finish(.completed, at: now) : [.updated]
    }

    // MARK: Helpers

    /// The day of the month recalculated installments fall on: the start's, unless a pause moved them.
    private func recalculationDay(_ first: ScheduledPayment) -> Int {
        pausedDaysUsed == 0 ? startDate.day : first.dueDate.day
    }

    private mutating func finish(_ final: PlanStatus, at now: Date) -> [PlanNews] {
        status = final
        endedAt = now
        pause = nil
        switch final {
        case .completed: return [.completed]
        case .defaulted: return [.defaulted]
        default: return [.cancelled]
        }
    }

    private mutating func touch(_ now: Date, by actor: String) {
        updatedAt = now
        updatedBy = actor
    }

    private func problem(_ code: String, _ message: String, param: String? = nil) -> PlanProblem {
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
