import Contracts
import Foundation
import Testing
@testable import PlansService

// The worked example most of these tests use: $1,200.00 with $200.00 down over 12 monthly installments from
// 2025-01-15. Financed 100 000 ¢; 100 000 / 12 = 8 333 r 4 → installments 1–11 of 8 333 and a 12th of 8 337,
// due on the 15th from 2025-02-15 to 2026-01-15.

@Suite struct PlanActivationTests {
    @Test func aTwelveHundredDollarPlanWithTwoHundredDownIsElevenOf8333AndALastOf8337() {
        let plan = makePlan()
        #expect(plan.financedAmount == 100_000)
        #expect(plan.installments.map(\.amount) == Array(repeating: 8_333, count: 11) + [8_337])
        #expect(plan.installments.first?.dueDate == day("2025-02-15"))
        #expect(plan.endDate == day("2026-01-15"))
        #expect(plan.remainingBalance == 120_000)
        #expect(plan.monthlyPayment == 8_333)
        #expect(plan.financeCharge == 0)
    }

    @Test func aPlanNeedingASignatureAndADownPaymentIsPendingUntilSignedAndTheDownPaymentSucceeds() throws {
        var plan = makePlan(signatureRequired: true, autoPay: true, paymentMethodId: "pm_1")
        #expect(plan.start(today: day("2025-01-15"), at: testNow) == [.created])
        #expect(plan.status == .pending)

        // Signing asks payments for the down payment (autopay); the plan stays pending while it is charged.
        let requested = ScheduledPayment(id: "plan1-0-r1", number: 0, dueDate: day("2025-01-15"), amount: 20_000,
                                         principal: 20_000, interest: 0, status: .requested)
        let news = try plan.sign(by: "patient1", method: "typed_name", agreementSHA256: "sha", today: day("2025-01-15"), at: testNow)
        #expect(news == [.charge(requested, .downPayment)])
        #expect(plan.status == .pending)
        #expect(plan.isSigned)

        #expect(plan.recordPayment(installmentId: "plan1-0-r1", amount: 20_000, today: day("2025-01-15"), at: testNow) == [.activated])
        #expect(plan.status == .active)
        #expect(plan.remainingBalance == 100_000)
    }

    @Test func aPaidDownPaymentWithoutTheSignatureLeavesThePlanPendingAndSigningActivatesIt() throws {
        var plan = makePlan(signatureRequired: true)
        _ = plan.start(today: day("2025-01-15"), at: testNow)
        #expect(plan.recordPayment(installmentId: "plan1-0-r1", amount: 20_000, today: day("2025-01-15"), at: testNow) == [])
        #expect(plan.status == .pending)
        #expect(plan.downPaymentSettled)
        #expect(try plan.sign(by: "patient1", method: "in_person", agreementSHA256: "sha", today: day("2025-01-16"), at: testNow) == [.activated])
        #expect(plan.status == .active)
    }

    @Test func aSignedPlanIsPendingUntilItsDownPaymentIsPaidAtTheDesk() throws {
        var plan = makePlan(signatureRequired: true)
        _ = plan.start(today: day("2025-01-15"), at: testNow)
        // Without autopay, signing asks for nothing.
        #expect(try plan.sign(by: "patient1", method: "portal", agreementSHA256: "sha", today: day("2025-01-15"), at: testNow) == [])
        #expect(plan.status == .pending)
        #expect(plan.recordPayment(installmentId: nil, amount: 20_000, today: day("2025-01-15"), at: testNow) == [.activated])
        #expect(plan.status == .active)
    }

    @Test func aPlanNeedingNoSignatureAndNoDownPaymentStartsActive() {
        var plan = makePlan(down: 0)
        #expect(plan.start(today: day("2025-01-15"), at: testNow) == [.created, .activated])
        #expect(plan.status == .active)
    }

    @Test func aPlanNeedingASignatureButNoDownPaymentIsActivatedBySigning() throws {
        var plan = makePlan(down: 0, signatureRequired: true)
        #expect(plan.start(today: day("2025-01-15"), at: testNow) == [.created])
        #expect(plan.status == .pending)
        #expect(try plan.sign(by: "patient1", method: "drawn", agreementSHA256: "sha", today: day("2025-01-15"), at: testNow) == [.activated])
    }

    @Test func aPlanWithADownPaymentAndNoSignatureAsksForTheDownPaymentAtOnceWithAutopay() {
        var plan = makePlan(autoPay: true, paymentMethodId: "pm_1")
        let news = plan.start(today: day("2025-01-15"), at: testNow)
        #expect(news.count == 2)
        #expect(news.first == .created)
        if case .charge(let line, .downPayment)? = news.last { #expect(line.id == "plan1-0-r1" && line.amount == 20_000) } else {
            Issue.record("expected a down payment charge, got \(news)")
        }
        #expect(plan.status == .pending)
    }

    @Test func aFailedDownPaymentLeavesThePlanPendingAndCountsNoMiss() throws {
        var plan = makePlan(signatureRequired: true, autoPay: true, paymentMethodId: "pm_1")
        _ = plan.start(today: day("2025-01-15"), at: testNow)
        _ = try plan.sign(by: "patient1", method: "typed_name", agreementSHA256: "sha", today: day("2025-01-15"), at: testNow)
        #expect(plan.recordFinalFailure(installmentId: "plan1-0-r1", today: day("2025-01-15"), at: testNow) == [])
        #expect(plan.status == .pending)
        #expect(plan.downPaymentLine?.status == .missed)
        #expect(plan.consecutiveMissed == 0)
    }

    @Test func signingTheSameTermsTwiceIsRefused() throws {
        var plan = makePlan(signatureRequired: true)
        _ = try plan.sign(by: "patient1", method: "typed_name", agreementSHA256: "sha", today: day("2025-01-15"), at: testNow)
        #expect(problemCode { _ = try plan.sign(by: "patient1", method: "typed_name", agreementSHA256: "sha", today: day("2025-01-15"), at: testNow) }
            == "already_signed")
    }

    @Test func activationWithAutopayChargesInstallmentsAlreadyDue() throws {
        // Signed late: the first installment (2025-02-15) is already due when the plan activates.
        var plan = makePlan(down: 0, signatureRequired: true, autoPay: true, paymentMethodId: "pm_1")
        _ = plan.start(today: day("2025-01-15"), at: testNow)
        let news = try plan.sign(by: "patient1", method: "typed_name", agreementSHA256: "sha", today: day("2025-02-20"), at: testNow)
        #expect(news.count == 2)
        #expect(news.first == .activated)
        if case .charge(let line, .installment)? = news.last { #expect(line.id == "plan1-1-r1") } else {
            Issue.record("expected installment 1 to be charged, got \(news)")
        }
    }
}

@Suite struct MissedPaymentTests {
    /// Asks for the installment due on `today` (autopay) and answers with a final failure or a success.
    func runMonth(_ plan: inout PaymentPlan, _ today: String, pays: Bool) -> [PlanNews] {
        let due = plan.runDue(today: day(today), graceDays: 10, at: testNow)
        guard case .charge(let line, .installment)? = due.first else {
            Issue.record("nothing charged on \(today): \(due)")
            return []
        }
        return pays ? plan.recordPayment(installmentId: line.id, amount: line.amount, today: day(today), at: testNow)
            : plan.recordFinalFailure(installmentId: line.id, today: day(today), at: testNow)
    }

    @Test func threeConsecutiveFailedInstallmentsDefaultThePlanAndAPaidOneResetsTheRun() {
        // $1,200 with nothing down: 12 × 10 000 ¢ on the 15th.
        var plan = activePlan(total: 120_000, down: 0, autoPay: true, paymentMethodId: "pm_1")
        #expect(runMonth(&plan, "2025-02-15", pays: false) == [.updated])
        #expect(runMonth(&plan, "2025-03-15", pays: false) == [.updated])
        #expect(plan.consecutiveMissed == 2)
        #expect(runMonth(&plan, "2025-04-15", pays: true) == [.updated])
        #expect(plan.consecutiveMissed == 0)
        #expect(runMonth(&plan, "2025-05-15", pays: false) == [.updated])
        #expect(runMonth(&plan, "2025-06-15", pays: false) == [.updated])
        #expect(plan.status == .active)
        #expect(runMonth(&plan, "2025-07-15", pays: false) == [.defaulted])
        #expect(plan.status == .defaulted)
        #expect(plan.endedAt == testNow)
        // Missed installments are still owed.
        #expect(plan.remainingBalance == 110_000)
    }

    @Test func withoutAutopayAnInstallmentUnpaidPastTheGraceDaysIsMissed() {
        var plan = activePlan(total: 120_000, down: 0)
        // Due 2025-02-15, 10 grace days: still fine on the 25th, missed on the 26th.
        #expect(plan.runDue(today: day("2025-02-25"), graceDays: 10, at: testNow) == [])
        #expect(plan.runDue(today: day("2025-02-26"), graceDays: 10, at: testNow) == [.updated])
        #expect(plan.installment(1).status == .missed)
        #expect(plan.installment(1).missedAt == testNow)
        #expect(plan.runDue(today: day("2025-02-27"), graceDays: 10, at: testNow) == [])
    }

    @Test func withoutAutopayThreeInstallmentsPastGraceDefaultInOneRun() {
        var plan = activePlan(total: 120_000, down: 0)
        // 2025-02-15, 03-15 and 04-15 are all more than 10 days past on 05-01; 05-15 is not due.
        #expect(plan.runDue(today: day("2025-05-01"), graceDays: 10, at: testNow) == [.updated, .updated, .defaulted])
        #expect(plan.status == .defaulted)
        #expect(plan.installment(4).status == .scheduled)
    }

    @Test func aFailureForAnInstallmentNotAskedForIsIgnored() {
        var plan = activePlan(total: 120_000, down: 0, autoPay: true, paymentMethodId: "pm_1")
        #expect(plan.recordFinalFailure(installmentId: "plan1-3-r1", today: day("2025-01-20"), at: testNow) == [])
        #expect(plan.recordFinalFailure(installmentId: "nope", today: day("2025-01-20"), at: testNow) == [])
        #expect(plan.consecutiveMissed == 0)
    }
}

@Suite struct DeskPaymentTests {
    @Test func aDeskPaymentWithoutAnInstallmentIsAppliedToTheOldestAmountsOwedFirst() {
        var plan = activePlan(total: 120_000, down: 0)
        // Installments 1 (02-15) and 2 (03-15) of 10 000 go missed on 04-01.
        #expect(plan.runDue(today: day("2025-04-01"), graceDays: 10, at: testNow) == [.updated, .updated])
        // 15 000 at the desk on 04-02: all of installment 1, half of installment 2.
        #expect(plan.recordPayment(installmentId: nil, amount: 15_000, today: day("2025-04-02"), at: testNow) == [.updated])
        #expect(plan.installment(1).status == .paid)
        #expect(plan.installment(1).daysLate == 46)  // 02-15 → 04-02
        #expect(plan.installment(2).paid == 5_000)
        #expect(plan.installment(2).status == .missed)
        #expect(plan.installment(2).owed == 5_000)
        #expect(plan.installment(3).paid == 0)
        #expect(plan.remainingBalance == 105_000)
        #expect(plan.consecutiveMissed == 0)
    }

    @Test func aDeskPaymentCoversTheDownPaymentBeforeAnyInstallment() {
        var plan = makePlan()
        _ = plan.start(today: day("2025-01-15"), at: testNow)
        #expect(plan.recordPayment(installmentId: nil, amount: 25_000, today: day("2025-01-15"), at: testNow) == [.activated])
        #expect(plan.downPaymentLine?.status == .paid)
        #expect(plan.installment(1).paid == 5_000)
        #expect(plan.installment(1).status == .scheduled)
        #expect(plan.remainingBalance == 95_000)
    }

    @Test func aNamedInstallmentIsPaidFirstAndTheRestGoesToTheOldest() {
        var plan = activePlan(total: 120_000, down: 0)
        _ = plan.recordPayment(installmentId: "plan1-3-r1", amount: 12_000, today: day("2025-01-20"), at: testNow)
        #expect(plan.installment(3).status == .paid)
        #expect(plan.installment(3).daysLate == 0)
        #expect(plan.installment(1).paid == 2_000)
        #expect(plan.completedPayments == 1)
    }

    @Test func payingEverythingCompletesThePlan() {
        var plan = activePlan(total: 120_000, down: 20_000)
        #expect(plan.recordPayment(installmentId: nil, amount: 100_000, today: day("2025-03-01"), at: testNow) == [.completed])
        #expect(plan.status == .completed)
        #expect(plan.completedPayments == 12)
        #expect(plan.financedNow.amount == 0)
    }
}

@Suite struct PauseTests {
    @Test func aPauseThatRunsOutResumesByItselfAndShiftsTheScheduleByTheDaysPaused() throws {
        var plan = activePlan(total: 120_000, down: 0)
        // 2025-02-01 → 2025-03-01: 28 days.
        #expect(try plan.pause(until: day("2025-03-01"), today: day("2025-02-01"), maxPauseDays: 60, at: testNow, by: "clerk") == [.paused])
        #expect(plan.status == .paused)
        // While paused nothing is missed or asked for.
        #expect(plan.runDue(today: day("2025-02-28"), graceDays: 10, at: testNow) == [])
        #expect(plan.installment(1).status == .scheduled)

        #expect(plan.runDue(today: day("2025-03-01"), graceDays: 10, at: testNow) == [.resumed])
        #expect(plan.status == .active)
        #expect(plan.pause == nil)
        #expect(plan.pausedDaysUsed == 28)
        #expect(plan.installment(1).dueDate == day("2025-03-15"))   // 02-15 + 28
        #expect(plan.installment(2).dueDate == day("2025-04-12"))   // 03-15 + 28
        #expect(plan.installment(12).dueDate == day("2026-02-12"))  // 2026-01-15 + 28
    }

    @Test func aPauseOfSixtyDaysIsAllowedAndSixtyOneRefused() throws {
        var plan = activePlan(total: 120_000, down: 0)
        let refused = problem { _ = try plan.pause(until: day("2025-04-03"), today: day("2025-02-01"), maxPauseDays: 60, at: testNow, by: "clerk") }
        #expect(refused?.code == "pause_too_long")
        #expect(refused?.param == "days")
        #expect(refused?.message.contains("61 asked") == true)
        #expect(plan.status == .active)
        #expect(try plan.pause(until: day("2025-04-02"), today: day("2025-02-01"), maxPauseDays: 60, at: testNow, by: "clerk") == [.paused])
    }

    @Test func theSixtyDaysAreATotalOverAllPauses() throws {
        var plan = activePlan(total: 120_000, down: 0)
        _ = try plan.pause(until: day("2025-03-13"), today: day("2025-02-01"), maxPauseDays: 60, at: testNow, by: "clerk")  // 40 days
        _ = plan.runDue(today: day("2025-03-13"), graceDays: 10, at: testNow)
        #expect(plan.pausedDaysUsed == 40)
        #expect(problemCode { _ = try plan.pause(until: day("2025-04-22"), today: day("2025-04-01"), maxPauseDays: 60, at: testNow, by: "clerk") }
            == "pause_too_long")  // 21 more
        #expect(try plan.pause(until: day("2025-04-21"), today: day("2025-04-01"), maxPauseDays: 60, at: testNow, by: "clerk") == [.paused])
    }

    @Test func resumingEarlyShiftsOnlyByTheDaysActuallyPausedAndCountsOnlyThose() throws {
        var plan = activePlan(total: 120_000, down: 0)
        _ = try plan.pause(until: day("2025-03-01"), today: day("2025-02-01"), maxPauseDays: 60, at: testNow, by: "clerk")
        #expect(plan.resume(today: day("2025-02-11"), at: testNow, by: "clerk") == [.resumed])
        #expect(plan.pausedDaysUsed == 10)
        #expect(plan.installment(1).dueDate == day("2025-02-25"))
    }

    @Test func onlyAnActivePlanCanBePausedForAtLeastADay() throws {
        var pending = makePlan(signatureRequired: true)
        #expect(problemCode { _ = try pending.pause(until: day("2025-02-01"), today: day("2025-01-15"), maxPauseDays: 60, at: testNow, by: "c") }
            == "plan_not_active")
        var plan = activePlan(total: 120_000, down: 0)
        #expect(problemCode { _ = try plan.pause(until: day("2025-02-01"), today: day("2025-02-01"), maxPauseDays: 60, at: testNow, by: "c") }
            == "pause_invalid")
        _ = try plan.pause(until: day("2025-02-10"), today: day("2025-02-01"), maxPauseDays: 60, at: testNow, by: "c")
        #expect(problemCode { _ = try plan.pause(until: day("2025-02-20"), today: day("2025-02-02"), maxPauseDays: 60, at: testNow, by: "c") }
            == "plan_not_active")
        var neverPaused = activePlan()
        #expect(neverPaused.resume(today: day("2025-02-01"), at: testNow, by: "c") == [])
    }

    @Test func aModificationAfterAPauseKeepsTheShiftedDates() throws {
        // Installments on the 5th; paused 2025-01-20 → 02-09 (20 days), so installment 1 moves 02-05 → 02-25.
        var plan = activePlan(total: 120_000, down: 0, start: "2025-01-05")
        _ = try plan.pause(until: day("2025-02-09"), today: day("2025-01-20"), maxPauseDays: 60, at: testNow, by: "clerk")
        _ = plan.runDue(today: day("2025-02-09"), graceDays: 10, at: testNow)
        #expect(plan.installment(1).dueDate == day("2025-02-25"))
        _ = try plan.modify(installmentAmount: nil, numberOfPayments: 10, maxTermMonths: 12, at: testNow, by: "clerk")
        #expect(plan.installment(1).dueDate >= day("2025-02-25"))
    }
}

@Suite struct ModifyTests {
    /// The worked example, signed, down payment paid, installments 1 and 2 (8 333 each) paid.
    func twoPaid() throws -> PaymentPlan {
        var plan = makePlan(signatureRequired: true)
        _ = plan.start(today: day("2025-01-15"), at: testNow)
        _ = try plan.sign(by: "patient1", method: "typed_name", agreementSHA256: "sha", today: day("2025-01-15"), at: testNow)
        _ = plan.recordPayment(installmentId: "plan1-0-r1", amount: 20_000, today: day("2025-01-15"), at: testNow)
        _ = plan.recordPayment(installmentId: "plan1-1-r1", amount: 8_333, today: day("2025-02-15"), at: testNow)
        _ = plan.recordPayment(installmentId: "plan1-2-r1", amount: 8_333, today: day("2025-03-15"), at: testNow)
        return plan
    }

    @Test func fewerPaymentsRecalculateTheUnpaidPartAndKeepThePaidInstallments() throws {
        var plan = try twoPaid()
        #expect(plan.status == .active)
        // Unpaid: 9 × 8 333 + 8 337 = 83 334 over 6 − 2 = 4 → 20 833 × 3 + 20 835.
        #expect(try plan.modify(installmentAmount: nil, numberOfPayments: 6, maxTermMonths: 12, at: testNow, by: "clerk") == [.updated])
        #expect(plan.installments.map(\.id) == ["plan1-1-r1", "plan1-2-r1", "plan1-3-r2", "plan1-4-r2", "plan1-5-r2", "plan1-6-r2"])
        #expect(plan.installments.map(\.amount) == [8_333, 8_333, 20_833, 20_833, 20_833, 20_835])
        #expect(plan.installments.map(\.status) == [.paid, .paid, .scheduled, .scheduled, .scheduled, .scheduled])
        #expect(plan.installments.map(\.dueDate) == ["2025-02-15", "2025-03-15", "2025-04-15", "2025-05-15", "2025-06-15", "2025-07-15"].map(day))
        #expect(plan.numberOfPayments == 6)
        #expect(plan.installments.reduce(0) { $0 + $1.principal } == plan.financedAmount)
        #expect(plan.remainingBalance == 83_334)
    }

    @Test func aChangeOfTermsBumpsTheVersionAndNeedsANewSignature() throws {
        var plan = try twoPaid()
        #expect(plan.isSigned)
        _ = try plan.modify(installmentAmount: nil, numberOfPayments: 6, maxTermMonths: 12, at: testNow, by: "clerk")
        #expect(plan.termsVersion == 2)
        #expect(plan.revision == 2)
        #expect(!plan.isSigned)
        _ = try plan.sign(by: "patient1", method: "portal", agreementSHA256: "sha2", today: day("2025-03-20"), at: testNow)
        #expect(plan.isSigned)
        #expect(plan.signature?.termsVersion == 2)
    }

    @Test func aChosenInstallmentAmountSetsTheCountAndTheLastTakesWhatIsLeft() throws {
        var plan = try twoPaid()
        // 83 334 in 30 000s: 30 000, 30 000, 23 334 → 2 paid + 3 = 5 payments.
        _ = try plan.modify(installmentAmount: 30_000, numberOfPayments: nil, maxTermMonths: 12, at: testNow, by: "clerk")
        #expect(plan.installments.map(\.amount) == [8_333, 8_333, 30_000, 30_000, 23_334])
        #expect(plan.numberOfPayments == 5)
        #expect(plan.monthlyPayment == 30_000)
    }

    @Test func theMaximumTermStillHoldsAfterAModification() throws {
        var plan = try twoPaid()
        let refused = problem { _ = try plan.modify(installmentAmount: nil, numberOfPayments: 25, maxTermMonths: 24, at: testNow, by: "clerk") }
        #expect(refused?.code == "term_too_long")
        #expect(refused?.param == "numberOfPayments")
        // 250 ¢ installments would take 334 payments.
        #expect(problemCode { _ = try plan.modify(installmentAmount: 250, numberOfPayments: nil, maxTermMonths: 24, at: testNow, by: "clerk") }
            == "term_too_long")
        #expect(plan.termsVersion == 1)
        #expect(plan.numberOfPayments == 12)
        #expect(try plan.modify(installmentAmount: nil, numberOfPayments: 24, maxTermMonths: 24, at: testNow, by: "clerk") == [.updated])
    }

    @Test func aModificationMustLeaveSomethingToRecalculate() throws {
        var plan = try twoPaid()
        #expect(problemCode { _ = try plan.modify(installmentAmount: nil, numberOfPayments: 2, maxTermMonths: 12, at: testNow, by: "c") }
            == "payments_invalid")
        #expect(problemCode { _ = try plan.modify(installmentAmount: 0, numberOfPayments: nil, maxTermMonths: 12, at: testNow, by: "c") }
            == "amount_invalid")
        #expect(problemCode { _ = try plan.modify(installmentAmount: nil, numberOfPayments: nil, maxTermMonths: 12, at: testNow, by: "c") }
            == "parameter_missing")
        _ = try plan.cancel(at: testNow, by: "c")
        #expect(problemCode { _ = try plan.modify(installmentAmount: nil, numberOfPayments: 6, maxTermMonths: 12, at: testNow, by: "c") }
            == "plan_closed")
    }

    @Test func aPlanWithEveryInstallmentAskedForHasNothingToModify() {
        var plan = activePlan(total: 30_000, down: 0, count: 3, autoPay: true, paymentMethodId: "pm_1")
        _ = plan.runDue(today: day("2025-12-31"), graceDays: 10, at: testNow)  // all three requested
        #expect(plan.installments.allSatisfy { $0.status == .requested })
        #expect(problemCode { _ = try plan.modify(installmentAmount: nil, numberOfPayments: 6, maxTermMonths: 12, at: testNow, by: "c") }
            == "nothing_to_change")
    }

    @Test func aModificationKeepsAPartialDeskPayment() throws {
        var plan = activePlan(total: 120_000, down: 20_000)
        // 5 000 at the desk lands on installment 1 (still scheduled, 3 333 owed).
        _ = plan.recordPayment(installmentId: nil, amount: 5_000, today: day("2025-01-20"), at: testNow)
        #expect(plan.remainingBalance == 95_000)
        _ = try plan.modify(installmentAmount: nil, numberOfPayments: 6, maxTermMonths: 12, at: testNow, by: "clerk")
        #expect(plan.remainingBalance == 95_000)
    }
}

@Suite struct PayoffTests {
    @Test func theEarlyPayoffIsTheRemainingPrincipalWithoutUnearnedInterestAndCompletesThePlan() throws {
        // 100 000 ¢ at 12 % over 3 monthly: 34 003 (1 000 interest), 34 003 (670), 34 001 (337).
        var plan = activePlan(total: 100_000, down: 0, count: 3, apr: 1_200, paymentMethodId: "pm_1")
        _ = plan.recordPayment(installmentId: "plan1-1-r1", amount: 34_003, today: day("2025-02-15"), at: testNow)
        #expect(plan.remainingBalance == 68_004)
        // Principal left 33 333 + 33 664; the 670 + 337 ¢ not yet earned is not charged, and there is no penalty.
        #expect(plan.payoffAmount == 66_997)
        let news = try plan.requestPayoff(today: day("2025-02-20"), at: testNow, by: "clerk")
        let line = ScheduledPayment(id: "plan1-payoff-r1", number: -1, dueDate: day("2025-02-20"), amount: 66_997, principal: 66_997, interest: 0)
        #expect(news == [.charge(line, .payoff)])
        #expect(plan.status == .active)

        #expect(plan.recordPayment(installmentId: "plan1-payoff-r1", amount: 66_997, today: day("2025-02-21"), at: testNow) == [.completed])
        #expect(plan.status == .completed)
        #expect(plan.remainingBalance == 0)
        #expect(plan.installments.allSatisfy { $0.status == .paid })
        #expect(plan.financeCharge == 1_000)
        #expect(plan.installments.reduce(0) { $0 + $1.paid } == 34_003 + 66_997)
    }

    @Test func interestFreeThePayoffIsTheRemainingBalance() {
        var plan = activePlan(total: 120_000, down: 20_000, paymentMethodId: "pm_1")
        _ = plan.recordPayment(installmentId: "plan1-1-r1", amount: 8_333, today: day("2025-02-15"), at: testNow)
        #expect(plan.payoffAmount == 91_667)
        #expect(plan.payoffAmount == plan.remainingBalance)
    }

    @Test func aMissedInstallmentIsPaidOffWithTheInterestItEarned() {
        var plan = activePlan(total: 100_000, down: 0, count: 3, apr: 1_200, paymentMethodId: "pm_1")
        _ = plan.runDue(today: day("2025-03-01"), graceDays: 10, at: testNow)  // installment 1 (02-15) missed
        #expect(plan.installment(1).status == .missed)
        #expect(plan.payoffAmount == 34_003 + 33_333 + 33_664)
    }

    @Test func aFailedPayoffLeavesThePlanAsItWas() throws {
        var plan = activePlan(total: 120_000, down: 0, autoPay: true, paymentMethodId: "pm_1")
        _ = try plan.requestPayoff(today: day("2025-01-20"), at: testNow, by: "clerk")
        #expect(plan.recordFinalFailure(installmentId: "plan1-payoff-r1", today: day("2025-01-21"), at: testNow) == [])
        #expect(plan.payoffRequestedId == nil)
        #expect(plan.status == .active)
        #expect(plan.remainingBalance == 120_000)
        #expect(plan.consecutiveMissed == 0)
    }

    @Test func aPayoffNeedsASavedMethodAndAnOpenPlan() throws {
        var plan = activePlan(total: 120_000, down: 0)
        let refused = problem { _ = try plan.requestPayoff(today: day("2025-01-20"), at: testNow, by: "clerk") }
        #expect(refused?.code == "payment_method_missing")
        #expect(refused?.param == "method")
        _ = try plan.cancel(at: testNow, by: "clerk")
        #expect(problemCode { _ = try plan.requestPayoff(today: day("2025-01-20"), at: testNow, by: "clerk") } == "plan_closed")
    }
}

@Suite struct InsuranceReamortiseTests {
    @Test func anInsurancePaymentLowersTheRemainingInstallmentsKeepingTheirCount() throws {
        var plan = activePlan(total: 120_000, down: 20_000)
        _ = plan.recordPayment(installmentId: "plan1-1-r1", amount: 8_333, today: day("2025-02-15"), at: testNow)
        _ = plan.recordPayment(installmentId: "plan1-2-r1", amount: 8_333, today: day("2025-03-15"), at: testNow)
        // Insurance pays $300: the patient owes $900. Open 83 334 − 30 000 = 53 334 over the same 10 → 5 333 × 9 + 5 337.
        #expect(plan.reamortise(newTotal: 90_000, at: testNow) == [.updated])
        #expect(plan.totalAmount == 90_000)
        #expect(plan.financedAmount == 70_000)
        #expect(plan.installments.count == 12)
        #expect(plan.installments.map(\.amount) == [8_333, 8_333] + Array(repeating: 5_333, count: 9) + [5_337])
        #expect(plan.installment(3).id == "plan1-3-r2")
        #expect(plan.installment(3).dueDate == day("2025-04-15"))
        #expect(plan.installments.reduce(0) { $0 + $1.principal } == plan.financedAmount)
        #expect(plan.remainingBalance == 53_334)
        #expect(plan.status == .active)
    }

    @Test func insuranceCoveringEverythingLeftCompletesThePlan() {
        var plan = activePlan(total: 120_000, down: 20_000)
        _ = plan.recordPayment(installmentId: "plan1-1-r1", amount: 8_333, today: day("2025-02-15"), at: testNow)
        // Paid so far: 20 000 + 8 333.
        #expect(plan.reamortise(newTotal: 28_333, at: testNow) == [.completed])
        #expect(plan.status == .completed)
        #expect(plan.remainingBalance == 0)
    }

    @Test func aTotalThatDoesNotGoDownChangesNothing() {
        var plan = activePlan(total: 120_000, down: 20_000)
        let before = plan.payments
        #expect(plan.reamortise(newTotal: 120_000, at: testNow) == [])
        #expect(plan.reamortise(newTotal: 130_000, at: testNow) == [])
        #expect(plan.reamortise(newTotal: -1, at: testNow) == [])
        #expect(plan.payments == before)
    }

    @Test func whatTheOpenInstallmentsCannotAbsorbComesOffTheMissedOnes() {
        var plan = activePlan(total: 120_000, down: 0)
        _ = plan.runDue(today: day("2025-04-01"), graceDays: 10, at: testNow)  // 1 and 2 missed, 10 000 each
        // The patient now owes 10 000 in all: the ten open installments go, and one missed one.
        #expect(plan.reamortise(newTotal: 10_000, at: testNow) == [.updated])
        #expect(plan.remainingBalance == 10_000)
        #expect(plan.installments.filter { $0.status == .missed }.count == 1)
    }

    @Test func anInsurancePaymentKeepsAPartialDeskPayment() {
        var plan = activePlan(total: 120_000, down: 20_000)
        _ = plan.recordPayment(installmentId: nil, amount: 5_000, today: day("2025-01-20"), at: testNow)
        // Owes 90 000 in all, has paid 25 000.
        _ = plan.reamortise(newTotal: 90_000, at: testNow)
        #expect(plan.remainingBalance == 65_000)
    }
}

@Suite struct CancelTests {
    @Test func cancellingDropsWhatIsNotYetDueButKeepsWhatWasMissed() throws {
        var plan = activePlan(total: 120_000, down: 0)
        _ = plan.runDue(today: day("2025-03-01"), graceDays: 10, at: testNow)  // installment 1 missed
        #expect(try plan.cancel(at: testNow, by: "clerk") == [.cancelled])
        #expect(plan.status == .cancelled)
        #expect(plan.remainingBalance == 10_000)
        #expect(plan.financedNow.amount == 0)
        #expect(problemCode { _ = try plan.cancel(at: testNow, by: "clerk") } == "plan_closed")
    }
}
