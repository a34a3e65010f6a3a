import Contracts
import Foundation

/// A plan's life: signing and activation, money in and out, what falls due.
extension PaymentPlan {
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
    mutating func advancePending(today: CalendarDate, at now: Date) -> [PlanNews] {
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

    mutating func miss(_ index: Int, at now: Date) -> [PlanNews] {
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

    mutating func requestDue(today: CalendarDate) -> [PlanNews] {
        var news: [PlanNews] = []
        for index in payments.indices where payments[index].status == .scheduled && !payments[index].isDownPayment
            && payments[index].dueDate <= today
        {
            payments[index].status = .requested
            news.append(.charge(payments[index], .installment))
        }
        return news
    }
}
