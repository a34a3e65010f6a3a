import Contracts
import Foundation
import Testing
@testable import PlansService

/// Shared fixtures for the plans domain tests: a fixed clock, dates from text, a plan built the way the
/// service builds one, and a way to read the code of a refused change.

let testNow = Date(timeIntervalSince1970: 1_736_899_200)  // 2025-01-15T00:00:00Z

/// `YYYY-MM-DD` → CalendarDate (the text is always valid in these tests).
func day(_ text: String) -> CalendarDate {
    guard let date = CalendarDate(text) else { fatalError("not a date: \(text)") }
    return date
}

/// A plan of `total` with `down` down, `count` installments starting one period after `start`: status
/// PENDING, as a new plan is before `start(today:at:)`.
func makePlan(total: Int64 = 120_000, down: Int64 = 20_000, count: Int = 12, frequency: PaymentFrequency = .monthly,
              start: String = "2025-01-15", apr: Int = 0, signatureRequired: Bool = false, autoPay: Bool = false,
              paymentMethodId: String? = nil) -> PaymentPlan {
    let startDate = day(start)
    let payments = PaymentPlan.schedule(planId: "plan1", revision: 1, downPayment: down, financed: total - down, count: count,
                                        frequency: frequency, firstDue: frequency.date(1, after: startDate), start: startDate,
                                        aprBasisPoints: apr)
    return PaymentPlan(id: "plan1", clinicId: "clinic1", patientId: "patient1", planNumber: "PP-0001", status: .pending,
                       currency: "USD", totalAmount: total, downPayment: down, financedAmount: total - down,
                       aprBasisPoints: apr, frequency: frequency, numberOfPayments: count, startDate: startDate,
                       paymentMethodId: paymentMethodId, autoPayEnabled: autoPay, treatmentType: nil, treatmentPlanId: nil,
                       estimateId: nil, description: nil, signatureRequired: signatureRequired, payments: payments,
                       createdAt: testNow, updatedAt: testNow, createdBy: "user1", updatedBy: "user1")
}

/// A started plan: no signature, paid through `start(today:at:)` (ACTIVE when there is no down payment).
func activePlan(total: Int64 = 120_000, down: Int64 = 0, count: Int = 12, frequency: PaymentFrequency = .monthly,
                start: String = "2025-01-15", apr: Int = 0, autoPay: Bool = false, paymentMethodId: String? = nil) -> PaymentPlan {
    var plan = makePlan(total: total, down: down, count: count, frequency: frequency, start: start, apr: apr,
                        autoPay: autoPay, paymentMethodId: paymentMethodId)
    _ = plan.start(today: day(start), at: testNow)
    if down > 0 { _ = plan.recordPayment(installmentId: "plan1-0-r1", amount: down, today: day(start), at: testNow) }
    return plan
}

/// The problem `body` throws, or nil when it does not throw. (Closures are inferred as throwing `any Error`,
/// so this takes an untyped one; anything but a PlanProblem is recorded as an issue.)
func problem(_ body: () throws -> Void) -> PlanProblem? {
    do {
        try body()
        return nil
    } catch let problem as PlanProblem {
        return problem
    } catch {
        Issue.record("expected a PlanProblem, got \(error)")
        return nil
    }
}

/// The code of the problem `body` throws, or nil when it does not throw.
func problemCode(_ body: () throws -> Void) -> String? { problem(body)?.code }

extension PaymentPlan {
    /// The installment numbered `number` (1…n).
    func installment(_ number: Int) -> ScheduledPayment {
        guard let line = payments.first(where: { $0.number == number }) else { fatalError("no installment \(number)") }
        return line
    }
}

/// Days in a month by the Gregorian rule, written independently of Foundation's calendar.
func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}
