import Contracts
import Testing
@testable import InsuranceService

// Worked examples of the benefit estimator, to the cent. Unless a test says otherwise the plan is
// "Delta Dental": diagnostic/preventive 100 % (no deductible), basic 80 %, major 50 %, orthodontics 50 %
// (no deductible), $50.00 individual deductible, $1,000.00 annual maximum, nothing used yet.

private func estUSD(_ cents: Int64) -> Money { Money(amount: cents, currency: "USD") }
private func estDate(_ text: String) -> CalendarDate { CalendarDate(text)! }
private func estItem(_ code: String, _ fee: Int64) -> PlannedProcedure {
    PlannedProcedure(procedure: Procedure(code: code, codeSystem: code.hasPrefix("D") ? .cdt : .cpt), fee: estUSD(fee))
}

private func estBenefits(deductibleMet: Int64 = 0, maximumUsed: Int64 = 0) -> PlanBenefits {
    PlanBenefits(
        annualMaximum: estUSD(100_000), deductible: estUSD(5_000), deductibleMet: estUSD(deductibleMet),
        annualMaximumUsed: estUSD(maximumUsed),
        categories: [
            BenefitCategory(name: "diagnostic", codeRanges: ["D0100-D0999"], percent: 100, deductibleApplies: false),
            BenefitCategory(name: "preventive", codeRanges: ["D1000-D1999"], percent: 100, deductibleApplies: false),
            BenefitCategory(name: "basic", codeRanges: ["D2000-D2399", "D3000-D3999"], percent: 80),
            BenefitCategory(name: "major", codeRanges: ["D2400-D2999", "D5000-D6999"], percent: 50),
            BenefitCategory(name: "orthodontics", codeRanges: ["D8000-D8999"], percent: 50, deductibleApplies: false),
        ])
}

private func estCoverage(_ benefits: PlanBenefits, payerId: String = "DELTA", name: String = "Delta Dental",
                         priority: CoveragePriority = .primary, kind: CoverageKind = .dental,
                         effective: String = "2026-01-01", termination: String? = nil,
                         yearStartMonth: Int? = nil) -> CoverageUpdated {
    CoverageUpdated(coverageId: "cov-\(payerId)", patientId: "pat-1", payer: Payer(payerId: payerId, name: name),
                    memberId: "M1", priority: priority, subscriberRelationship: .self, effectiveDate: estDate(effective),
                    terminationDate: termination.map(estDate), benefits: benefits, kind: kind,
                    planYearStartMonth: yearStartMonth)
}

private func estRun(_ coverages: [CoverageUpdated], _ items: [PlannedProcedure], on date: String = "2026-11-03",
                    history: [EstimateHistoryItem] = [], fees: [String: [String: Money]] = [:]) -> BenefitEstimate {
    let estimate = BenefitEstimator.estimate(BenefitEstimateRequest(
        coverages: coverages, procedures: items, serviceDate: estDate(date), history: history, allowedFees: fees))
    estCheckEveryCent(estimate)
    return estimate
}

/// Every cent accounted for, on every line: fee = write-off + primary + secondary + patient; the fee-schedule
/// reduction is the write-off; the primary's other reductions are exactly what it did not pay of the allowed.
private func estCheckEveryCent(_ estimate: BenefitEstimate) {
    let primaryId = estimate.payers.first?.payerId
    for line in estimate.lines {
        let writeOff = line.fee.amount - line.allowed.amount
        precondition(writeOff + line.primaryInsurance.amount + line.secondaryInsurance.amount + line.patientPortion.amount
                     == line.fee.amount)
        #expect(line.patientPortion.amount >= 0 && writeOff >= 0)
        let feeSchedule = line.reductions.filter { $0.reason == .feeSchedule }.reduce(0) { $0 + $1.amount.amount }
        #expect(feeSchedule == writeOff)
        if let primaryId {
            let primaryShortfall = line.reductions.filter { $0.payerId == primaryId && $0.reason != .feeSchedule }
                .reduce(0) { $0 + $1.amount.amount }
            #expect(primaryShortfall == line.allowed.amount - line.primaryInsurance.amount)
        }
    }
    #expect(estimate.totalFee.amount == estimate.writeOff.amount + estimate.insurancePortion.amount
            + estimate.patientPortion.amount)
}

private func estReasons(_ line: EstimateLine) -> [String] {
    line.reductions.map { "\($0.reason.rawValue) \($0.amount.amount)" }
}

@Suite struct EstimatorDeductibleTests {
    @Test func theDeductibleComesFirstThenThePlanPaysItsPercentOfTheRest() {
        // D2392 $185.00, basic 80 %: $50.00 deductible, 80 % of $135.00 = $108.00, coinsurance $27.00,
        // patient $50.00 + $27.00 = $77.00. D2391 $150.00: the deductible is met now: $120.00 / $30.00.
        let estimate = estRun([estCoverage(estBenefits())], [estItem("D2392", 18_500), estItem("D2391", 15_000)])
        let first = estimate.lines[0], second = estimate.lines[1]
        #expect(first.primaryInsurance == estUSD(10_800) && first.patientPortion == estUSD(7_700))
        #expect(estReasons(first) == ["deductible 5000", "coinsurance 2700"])
        #expect(first.reductions[0].explanation == "$50.00 of the deductible is still to be met")
        #expect(first.reductions[1].explanation == "the plan pays 80 % of basic work")
        #expect(second.primaryInsurance == estUSD(12_000) && second.patientPortion == estUSD(3_000))
        #expect(estReasons(second) == ["coinsurance 3000"])
        #expect(estimate.insurancePortion == estUSD(22_800) && estimate.patientPortion == estUSD(10_700))
        #expect(estimate.payers[0].deductibleLeftAfter == estUSD(0))
        #expect(estimate.remainingMaximum == estUSD(77_200))  // $1,000.00 − $228.00
    }

    @Test func theFamilyDeductibleLeftCanBeSmallerThanTheIndividualOne() {
        // Individual $50.00 nothing met, family $150.00 with $120.00 met: only $30.00 is still to be met.
        // D2391 $150.00: $30.00 deductible, 80 % of $120.00 = $96.00, coinsurance $24.00, patient $54.00.
        var benefits = estBenefits()
        benefits.familyDeductible = estUSD(15_000)
        benefits.familyDeductibleMet = estUSD(12_000)
        let line = estRun([estCoverage(benefits)], [estItem("D2391", 15_000)]).lines[0]
        #expect(estReasons(line) == ["deductible 3000", "coinsurance 2400"])
        #expect(line.reductions[0].explanation == "$30.00 of the family deductible is still to be met")
        #expect(line.primaryInsurance == estUSD(9_600) && line.patientPortion == estUSD(5_400))
    }

    @Test func thePlansShareIsRoundedHalfUpToTheCent() {
        // D2740 $123.45, major 50 %, deductible met: 50 % = 6172.5 cents → $61.73; the patient pays $61.72.
        let line = estRun([estCoverage(estBenefits(deductibleMet: 5_000))], [estItem("D2740", 12_345)]).lines[0]
        #expect(line.primaryInsurance == estUSD(6_173) && line.patientPortion == estUSD(6_172))
    }

    @Test func categoriesNamedOnlyUseTheUsualCDTRanges() {
        // basic 80 % and preventive 100 % by name: D9944 is basic (D9000-D9999), D1110 preventive (no deductible).
        // D1110 $110.00 → $110.00. D9944 $400.00: $50.00 deductible, 80 % of $350.00 = $280.00, coinsurance $70.00.
        let benefits = PlanBenefits(deductible: estUSD(5_000), coveragePercentByCategory: ["basic": 80, "preventive": 100])
        let estimate = estRun([estCoverage(benefits)], [estItem("D1110", 11_000), estItem("D9944", 40_000)])
        #expect(estimate.lines[0].primaryInsurance == estUSD(11_000) && estimate.lines[0].reductions.isEmpty)
        #expect(estReasons(estimate.lines[1]) == ["deductible 5000", "coinsurance 7000"])
        #expect(estimate.lines[1].primaryInsurance == estUSD(28_000) && estimate.patientPortion == estUSD(12_000))
        #expect(estimate.remainingMaximum == nil)  // the plan gives no annual maximum
    }
}

@Suite struct EstimatorMaximumTests {
    @Test func theAnnualMaximumRunsOutOnTheThirdProcedure() {
        // $1,000.00 maximum, $600.00 used: $400.00 left; deductible met.
        // D2740 $500.00 major 50 % → $250.00 (left $150.00); D2391 $150.00 basic 80 % → $120.00 (left $30.00);
        // D2392 $185.00 basic 80 % → $148.00 wanted, only $30.00 paid: coinsurance $37.00 + maximum $118.00,
        // patient $155.00.
        let estimate = estRun([estCoverage(estBenefits(deductibleMet: 5_000, maximumUsed: 60_000))],
                              [estItem("D2740", 50_000), estItem("D2391", 15_000), estItem("D2392", 18_500)])
        #expect(estimate.lines.map(\.primaryInsurance) == [estUSD(25_000), estUSD(12_000), estUSD(3_000)])
        let third = estimate.lines[2]
        #expect(estReasons(third) == ["coinsurance 3700", "annual_maximum 11800"])
        #expect(third.reductions[1].explanation == "only $30.00 is left of the $1,000.00 annual maximum")
        #expect(third.patientPortion == estUSD(15_500))
        let payer = estimate.payers[0]
        #expect(payer.annualMaximumLeftBefore == estUSD(40_000) && payer.annualMaximumLeftAfter == estUSD(0))
        #expect(payer.insuranceNeeded == estUSD(51_800) && payer.insurancePays == estUSD(40_000))
        #expect(payer.maximumShortfall == estUSD(11_800) && estimate.exceedsRemainingMaximum)
    }

    @Test func orthodonticsUsesTheLifetimeMaximumInsteadOfTheAnnualOne() {
        // Ortho lifetime $1,500.00 with $1,000.00 used: $500.00 left. D8080 $5,500.00 at 50 % (no deductible):
        // $2,750.00 wanted, $500.00 paid: coinsurance $2,750.00 + ortho maximum $2,250.00, patient $5,000.00.
        // The annual maximum is untouched.
        var benefits = estBenefits()
        benefits.orthoLifetimeMaximum = estUSD(150_000)
        benefits.orthoLifetimeUsed = estUSD(100_000)
        let estimate = estRun([estCoverage(benefits)], [estItem("D8080", 550_000)])
        let line = estimate.lines[0]
        #expect(estReasons(line) == ["coinsurance 275000", "ortho_lifetime_maximum 225000"])
        #expect(line.reductions[1].explanation == "only $500.00 is left of the $1,500.00 orthodontic lifetime maximum")
        #expect(line.primaryInsurance == estUSD(50_000) && line.patientPortion == estUSD(500_000))
        #expect(estimate.payers[0].orthoMaximumLeftAfter == estUSD(0))
        #expect(estimate.remainingMaximum == estUSD(100_000))
    }
}

@Suite struct EstimatorLimitTests {
    @Test func aFrequencyLimitUsedUpByTheHistoryLeavesTheWholeFeeToThePatient() {
        // Two cleanings per benefit year, both done in 2026: the third D1110 $110.00 is the patient's.
        // Bitewings once in 12 months, last on 2025-11-03: exactly 12 months ago no longer counts → $75.00 covered.
        var benefits = estBenefits()
        benefits.frequencyLimits = [FrequencyLimit(codes: ["D1110", "D1120"], times: 2),
                                    FrequencyLimit(codes: ["D0272", "D0274"], times: 1, periodMonths: 12)]
        let history = [EstimateHistoryItem(code: "D1110", serviceDate: estDate("2026-02-10")),
                       EstimateHistoryItem(code: "D1120", serviceDate: estDate("2026-08-10")),
                       EstimateHistoryItem(code: "D0274", serviceDate: estDate("2025-11-03"))]
        let estimate = estRun([estCoverage(benefits)], [estItem("D1110", 11_000), estItem("D0274", 7_500)],
                              history: history)
        #expect(estReasons(estimate.lines[0]) == ["frequency_limit 11000"])
        #expect(estimate.lines[0].reductions[0].explanation == "Delta Dental covers D1110 2 times per benefit year, already used")
        #expect(estimate.lines[0].patientPortion == estUSD(11_000))
        #expect(estimate.lines[1].primaryInsurance == estUSD(7_500))
        // Estimated on 2026-11-02, the bitewings of 2025-11-03 are still within the 12 months: not covered.
        let later = estRun([estCoverage(benefits)], [estItem("D0274", 7_500)], on: "2026-11-02", history: history)
        #expect(estReasons(later.lines[0]) == ["frequency_limit 7500"])
    }

    @Test func theSecondOfTwoCleaningsInOneEstimateIsNotCovered() {
        // Limit 1 per benefit year, no history: the first D1110 $110.00 is paid, the second is the patient's.
        var benefits = estBenefits()
        benefits.frequencyLimits = [FrequencyLimit(codes: ["D1110"], times: 1)]
        let estimate = estRun([estCoverage(benefits)], [estItem("D1110", 11_000), estItem("D1110", 11_000)])
        #expect(estimate.lines.map(\.primaryInsurance) == [estUSD(11_000), estUSD(0)])
        #expect(estReasons(estimate.lines[1]) == ["frequency_limit 11000"])
    }

    @Test func aBenefitYearStartingInJulyDoesNotCountLastYearsCleaning() {
        // Limit 1 per benefit year, a cleaning on 2026-06-15. With the year starting in July, 2026-07-05 is a
        // new benefit year (covered) while 2026-06-30 is still the old one; with a January year both are not.
        var benefits = estBenefits()
        benefits.frequencyLimits = [FrequencyLimit(codes: ["D1110"], times: 1)]
        let history = [EstimateHistoryItem(code: "D1110", serviceDate: estDate("2026-06-15"))]
        let july = estCoverage(benefits, yearStartMonth: 7), january = estCoverage(benefits)
        #expect(estRun([july], [estItem("D1110", 11_000)], on: "2026-07-05", history: history)
            .lines[0].primaryInsurance == estUSD(11_000))
        #expect(estRun([july], [estItem("D1110", 11_000)], on: "2026-06-30", history: history)
            .lines[0].primaryInsurance == estUSD(0))
        #expect(estRun([january], [estItem("D1110", 11_000)], on: "2026-07-05", history: history)
            .lines[0].primaryInsurance == estUSD(0))
    }

    @Test func majorWorkWaitsTwelveMonthsAfterTheCoverageBegins() {
        // Effective 2026-03-15, 12 months for major: D2740 $1,000.00 on 2027-03-14 is the patient's;
        // on 2027-03-15 the plan pays 50 % (deductible met) = $500.00.
        var benefits = estBenefits(deductibleMet: 5_000)
        benefits.waitingPeriods = [WaitingPeriod(category: "major", months: 12)]
        let coverage = estCoverage(benefits, effective: "2026-03-15")
        let waiting = estRun([coverage], [estItem("D2740", 100_000)], on: "2027-03-14").lines[0]
        #expect(estReasons(waiting) == ["waiting_period 100000"])
        #expect(waiting.reductions[0].explanation == "major work is covered from 2027-03-15 (a 12-month waiting period)")
        #expect(estRun([coverage], [estItem("D2740", 100_000)], on: "2027-03-15").lines[0].primaryInsurance == estUSD(50_000))
    }

    @Test func workOutsideTheCategoriesOrOutsideTheCoverageDatesIsNotCovered() {
        // D9944 is in none of the plan's categories; a coverage that ended (or has not begun) covers nothing.
        let estimate = estRun([estCoverage(estBenefits())], [estItem("D9944", 40_000)])
        #expect(estReasons(estimate.lines[0]) == ["not_covered 40000"])
        #expect(estimate.lines[0].reductions[0].explanation == "Delta Dental does not cover D9944")
        let ended = estRun([estCoverage(estBenefits(), termination: "2026-06-30")], [estItem("D1110", 11_000)],
                           on: "2026-07-01", fees: ["DELTA": ["D1110": estUSD(9_000)]])
        #expect(ended.lines[0].allowed == estUSD(11_000))  // no in-network write-off without coverage
        #expect(ended.lines[0].reductions[0].explanation == "Delta Dental coverage ended on 2026-06-30")
        #expect(ended.lines[0].patientPortion == estUSD(11_000))
        let early = estRun([estCoverage(estBenefits(), effective: "2026-12-01")], [estItem("D1110", 11_000)])
        #expect(early.lines[0].reductions[0].explanation == "Delta Dental coverage starts on 2026-12-01")
        #expect(estRun([], [estItem("D1110", 11_000)]).patientPortion == estUSD(11_000))
    }
}

@Suite struct EstimatorPayerTests {
    @Test func thePayersFeeScheduleIsWrittenOffBeforeAnythingElse() {
        // D2392 fee $185.00, Delta allows $160.00: $25.00 written off; $50.00 deductible, 80 % of $110.00 =
        // $88.00, coinsurance $22.00; patient $72.00. $185.00 = $25.00 + $88.00 + $72.00.
        let estimate = estRun([estCoverage(estBenefits())], [estItem("D2392", 18_500)],
                              fees: ["DELTA": ["D2392": estUSD(16_000)]])
        let line = estimate.lines[0]
        #expect(line.allowed == estUSD(16_000) && line.primaryInsurance == estUSD(8_800) && line.patientPortion == estUSD(7_200))
        #expect(estReasons(line) == ["fee_schedule 2500", "deductible 5000", "coinsurance 2200"])
        #expect(line.reductions[0].explanation == "Delta Dental allows $160.00 of the $185.00 fee")
        #expect(estimate.writeOff == estUSD(2_500))
    }

    @Test func theSecondaryPaysWhatItWouldAsPrimaryButNoMoreThanThePrimaryLeft() {
        // Primary as above on D2392 (allowed $160.00): pays $88.00, leaves $72.00. Secondary "Cigna" basic 50 %,
        // its own $50.00 deductible: as primary 50 % of $110.00 = $55.00 ≤ $72.00 → pays $55.00, patient $17.00.
        // D2391 $150.00: primary (deductible met) 80 % = $120.00, leaves $30.00; secondary (deductible met)
        // would pay 50 % = $75.00, but only $30.00 is left → $30.00, patient $0.00. Cigna's own fee schedule is
        // not used: the secondary works from the primary's allowed amount.
        var secondaryBenefits = estBenefits()
        secondaryBenefits.categories = [BenefitCategory(name: "basic", codeRanges: ["D2000-D2399"], percent: 50)]
        let coverages = [estCoverage(secondaryBenefits, payerId: "CIGNA", name: "Cigna", priority: .secondary),
                         estCoverage(estBenefits())]
        let estimate = estRun(coverages, [estItem("D2392", 18_500), estItem("D2391", 15_000)],
                              fees: ["DELTA": ["D2392": estUSD(16_000)], "CIGNA": ["D2392": estUSD(10_000)]])
        let first = estimate.lines[0], second = estimate.lines[1]
        #expect(first.primaryInsurance == estUSD(8_800) && first.secondaryInsurance == estUSD(5_500))
        #expect(first.patientPortion == estUSD(1_700))
        #expect(first.reductions.filter { $0.payerId == "CIGNA" }.map(\.amount) == [estUSD(5_000), estUSD(5_500)])
        #expect(second.primaryInsurance == estUSD(12_000) && second.secondaryInsurance == estUSD(3_000))
        #expect(second.patientPortion == estUSD(0))
        #expect(estimate.secondaryInsurance == estUSD(8_500) && estimate.patientPortion == estUSD(1_700))
        #expect(estimate.payers.map(\.payerId) == ["DELTA", "CIGNA"])
        #expect(estimate.payers[1].annualMaximumLeftAfter == estUSD(91_500))  // charged with what it paid
    }

    @Test func aMedicalVisitChargesTheCopayThenTheDeductibleThenCoinsurance() {
        // Medical: $25.00 co-pay per visit, $500.00 deductible with $450.00 met, patient coinsurance 20 %.
        // 99213 fee $150.00, allowed $120.00: co-pay $25.00, deductible $50.00, 80 % of $45.00 = $36.00 paid,
        // coinsurance $9.00; patient $84.00. 85025 $40.00: no second co-pay, 80 % = $32.00, patient $8.00.
        let benefits = PlanBenefits(deductible: estUSD(50_000), deductibleMet: estUSD(45_000), copay: estUSD(2_500),
                                    coinsurancePercent: 20)
        let coverage = estCoverage(benefits, payerId: "BCBS", name: "Blue Cross", kind: .medical)
        let estimate = estRun([coverage], [estItem("99213", 15_000), estItem("85025", 4_000)],
                              fees: ["BCBS": ["99213": estUSD(12_000)]])
        let visit = estimate.lines[0]
        #expect(estReasons(visit) == ["fee_schedule 3000", "coinsurance 2500", "deductible 5000", "coinsurance 900"])
        #expect(visit.reductions[1].explanation == "the patient pays a $25.00 co-pay per visit")
        #expect(visit.reductions[3].explanation == "the patient pays 20 % coinsurance")
        #expect(visit.primaryInsurance == estUSD(3_600) && visit.patientPortion == estUSD(8_400))
        #expect(estimate.lines[1].primaryInsurance == estUSD(3_200) && estimate.lines[1].patientPortion == estUSD(800))
    }

    @Test func aVisitWithoutPlannedWorkCostsTheCopayOfTheCoverageInEffect() {
        let medical = estCoverage(PlanBenefits(copay: estUSD(2_500), coinsurancePercent: 20), payerId: "BCBS",
                                  name: "Blue Cross", kind: .medical, termination: "2026-12-31")
        #expect(BenefitEstimator.visitCopay(coverages: [medical], on: estDate("2026-11-03")) == estUSD(2_500))
        #expect(BenefitEstimator.visitCopay(coverages: [medical], on: estDate("2027-01-02")) == nil)
        #expect(BenefitEstimator.visitCopay(coverages: [estCoverage(estBenefits())], on: estDate("2026-11-03")) == nil)
    }
}
