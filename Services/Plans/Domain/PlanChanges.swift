import Contracts
import Foundation

/// What staff (and insurance) change on a running plan: pause, terms, payoff, cancel, delete, re-amortisation.
extension PaymentPlan {
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

    mutating func settlePayoff(today: CalendarDate, at now: Date) -> [PlanNews] {
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
}
