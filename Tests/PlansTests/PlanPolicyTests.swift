import Contracts
import Foundation
import Testing
@testable import PlansService

func usd(_ amount: Int64) -> Money { Money(amount: amount, currency: "USD") }

@Suite struct DownPaymentPolicyTests {
    @Test func theStandardMinimumIsTwentyPercentRoundedUp() {
        let policy = PlanPolicy.standard
        #expect(policy.minimumDownPayment(total: 120_000) == 24_000)
        #expect(policy.minimumDownPayment(total: 99_999) == 20_000)  // 19 999.8 → 20 000, never below 20 %
        #expect(policy.minimumDownPayment(total: 0) == 0)
    }

    @Test func theLargerOfThePercentageAndTheFixedMinimumAppliesButNeverMoreThanTheTotal() {
        var policy = PlanPolicy()
        policy.minDownPaymentPercent = 10
        policy.minDownPayment = 50_000
        #expect(policy.minimumDownPayment(total: 100_000) == 50_000)      // fixed 500.00 beats 10 % = 100.00
        #expect(policy.minimumDownPayment(total: 1_000_000) == 100_000)   // 10 % = 1 000.00 beats 500.00
        #expect(policy.minimumDownPayment(total: 30_000) == 30_000)       // capped at the total
    }

    @Test func aZeroPercentPolicyNeedsNoDownPayment() {
        var policy = PlanPolicy()
        policy.minDownPaymentPercent = 0
        #expect(policy.minimumDownPayment(total: 500_000) == 0)
    }
}

@Suite struct TermPolicyTests {
    @Test func theStandardMaximumTermDependsOnTheTreatmentTypeAndTheAmount() {
        let policy = PlanPolicy.standard
        #expect(policy.maxTerm(total: 100_000, treatmentType: "crown") == 12)
        #expect(policy.maxTerm(total: 299_999, treatmentType: nil) == 12)
        #expect(policy.maxTerm(total: 300_000, treatmentType: nil) == 24)
        #expect(policy.maxTerm(total: 500_000, treatmentType: "crown") == 24)
        #expect(policy.maxTerm(total: 100_000, treatmentType: "orthodontics") == 36)
        #expect(policy.maxTerm(total: 500_000, treatmentType: "orthodontics") == 36)
    }

    @Test func aRuleForTheTreatmentTypeBeatsAGeneralOneAndTheHighestThresholdReachedWins() {
        var policy = PlanPolicy()
        policy.maxTermMonths = [
            .init(treatmentType: nil, minAmount: 0, months: 6),
            .init(treatmentType: nil, minAmount: 2_000_000, months: 60),
            .init(treatmentType: "implants", minAmount: 0, months: 18),
            .init(treatmentType: "implants", minAmount: 1_000_000, months: 48),
        ]
        #expect(policy.maxTerm(total: 999_999, treatmentType: "implants") == 18)
        #expect(policy.maxTerm(total: 1_000_000, treatmentType: "implants") == 48)
        #expect(policy.maxTerm(total: 5_000_000, treatmentType: "implants") == 48)  // specific beats the general 60
        #expect(policy.maxTerm(total: 1_500_000, treatmentType: "crown") == 6)
        #expect(policy.maxTerm(total: 2_000_000, treatmentType: "crown") == 60)
    }

    @Test func orthodonticsIsInterestFreeEvenUnderAPolicyWithAnAPR() {
        var policy = PlanPolicy()
        policy.aprBasisPoints = 999
        #expect(policy.apr(treatmentType: "orthodontics") == 0)
        #expect(policy.apr(treatmentType: "crown") == 999)
        #expect(policy.apr(treatmentType: nil) == 999)
        #expect(PlanPolicy.standard.apr(treatmentType: "crown") == 0)  // interest-free unless an APR is set
    }
}

@Suite struct PlanTermsProblemsTests {
    let today = day("2025-01-15")

    func terms(total: Int64 = 120_000, down: Int64 = 24_000, count: Int = 12, frequency: PaymentFrequency = .monthly,
               start: String = "2025-01-15", treatment: String? = nil) -> PlanTerms {
        PlanTerms(total: usd(total), downPayment: down, numberOfPayments: count, frequency: frequency, startDate: day(start),
                  treatmentType: treatment)
    }

    func codes(_ terms: PlanTerms, _ policy: PlanPolicy = .standard) -> [String] {
        terms.problems(under: policy, today: today).map(\.code)
    }

    @Test func termsWithinThePolicyHaveNoProblems() {
        #expect(codes(terms()) == [])
        #expect(codes(terms(total: 600_000, down: 120_000, count: 52, frequency: .weekly)) == [])
        #expect(codes(terms(total: 600_000, down: 120_000, count: 36, treatment: "orthodontics")) == [])
        #expect(terms().firstDueDate == day("2025-02-15"))
    }

    @Test func aDownPaymentBelowTheMinimumIsRefusedWithTheMinimumInTheMessage() {
        let found = terms(down: 20_000).problems(under: .standard, today: today)
        #expect(found == [PlanProblem(code: "down_payment_too_small",
                                      message: "the clinic's policy needs a down payment of at least 240.00 USD (20 % of the total or 0.00 USD, whichever is larger)",
                                      param: "downPayment")])
    }

    @Test func aDownPaymentOutsideZeroToTheTotalIsInvalid() {
        #expect(codes(terms(down: 120_001)) == ["down_payment_invalid"])
        #expect(codes(terms(down: -1)) == ["down_payment_invalid"])
        #expect(terms(down: -1).problems(under: .standard, today: today).first?.message == "downPayment must be between 0 and the total")
    }

    @Test func aTermLongerThanTheMaximumForTheTreatmentAndAmountIsRefused() {
        let found = terms(count: 13).problems(under: .standard, today: today)
        #expect(found == [PlanProblem(code: "term_too_long",
                                      message: "13 monthly payments exceed the clinic's maximum term of 12 months for this treatment and amount",
                                      param: "numberOfPayments")])
        // 60 weekly payments ≈ 14 months; 37 monthly for orthodontics is past its 36.
        #expect(codes(terms(total: 200_000, down: 40_000, count: 60, frequency: .weekly)) == ["term_too_long"])
        #expect(codes(terms(total: 600_000, down: 120_000, count: 37, treatment: "orthodontics")) == ["term_too_long"])
        #expect(codes(terms(total: 600_000, down: 120_000, count: 24, treatment: "crown")) == [])
    }

    @Test func installmentsBelowTheClinicsMinimumAreRefused() {
        // 16 000 ¢ over 12 = 1 333 < 2 500.
        let found = terms(total: 20_000, down: 4_000, count: 12).problems(under: .standard, today: today)
        #expect(found.map(\.code) == ["installment_too_small"])
        #expect(found.first?.message == "installments would be below the clinic's minimum of 25.00 USD")
        // A financed amount smaller than the minimum may still be paid in one installment.
        #expect(codes(terms(total: 2_000, down: 400, count: 1)) == [])
    }

    @Test func aNonPositiveTotalNoPaymentsAndAStartInThePastAreRefused() {
        #expect(codes(terms(total: 0, down: 0)) == ["amount_invalid"])
        #expect(codes(terms(count: 0)) == ["payments_invalid"])
        let past = terms(start: "2025-01-14").problems(under: .standard, today: today)
        #expect(past == [PlanProblem(code: "start_date_invalid", message: "startDate must not be in the past", param: "startDate")])
    }
}

@Suite struct PlanPolicyProblemsTests {
    @Test func aPolicyDocumentWithOnlySomeKeysKeepsTheStandardValuesForTheRest() throws {
        let json = #"{"aprBasisPoints": 999, "maxPauseDays": 30}"#
        let policy = try JSONDecoder().decode(PlanPolicy.self, from: Data(json.utf8))
        var expected = PlanPolicy.standard
        expected.aprBasisPoints = 999
        expected.maxPauseDays = 30
        #expect(policy == expected)
        #expect(try JSONDecoder().decode(PlanPolicy.self, from: JSONEncoder().encode(expected)) == expected)
    }

    @Test func theStandardPolicyAndItsBoundariesAreValid() {
        #expect(PlanPolicy.standard.problems == [])
        var edge = PlanPolicy()
        edge.minDownPaymentPercent = 100
        edge.aprBasisPoints = 3_600
        edge.maxPauseDays = 365
        edge.graceDays = 90
        edge.minInstallment = 1
        edge.maxTermMonths = [.init(treatmentType: nil, minAmount: 0, months: 120)]
        #expect(edge.problems == [])
    }

    @Test func everyOutOfRangeSettingIsReportedWithItsField() {
        var policy = PlanPolicy()
        policy.minDownPaymentPercent = 101
        policy.minDownPayment = -1
        policy.maxTermMonths = [.init(treatmentType: nil, minAmount: 0, months: 0)]
        policy.aprBasisPoints = 3_601
        policy.maxPauseDays = 366
        policy.graceDays = -1
        policy.optionTermsMonths = [0, 12]
        policy.minInstallment = 0
        #expect(policy.problems.map(\.param) == ["minDownPaymentPercent", "minDownPayment", "maxTermMonths", "aprBasisPoints",
                                                  "maxPauseDays", "graceDays", "optionTermsMonths", "minInstallment"])
        #expect(policy.problems.allSatisfy { $0.code == "policy_invalid" })
        #expect(policy.problems.first?.message == "minDownPaymentPercent must be 0–100")
    }

    @Test func aPolicyWithoutTermRulesOrOptionTermsIsInvalid() {
        var policy = PlanPolicy()
        policy.maxTermMonths = []
        policy.optionTermsMonths = []
        #expect(policy.problems.map(\.message) == ["maxTermMonths needs at least one rule", "optionTermsMonths needs positive month counts"])
    }
}

@Suite struct PlanOptionsTests {
    let start = day("2025-01-31")

    @Test func fiveThousandDollarsForACrownOffersEveryTermUpToTwentyFourMonthsWithTwentyPercentDown() {
        // Max term 24 (≥ $3,000); down 100 000, financed 400 000.
        let options = PlanOptions.calculate(total: usd(500_000), treatmentType: "crown", frequencies: [.monthly], startDate: start,
                                            policy: .standard)
        #expect(options.map(\.termMonths) == [3, 6, 12, 18, 24])
        #expect(options.allSatisfy { $0.downPayment == usd(100_000) && $0.financedAmount == usd(400_000) })
        // 400 000 / 3 = 133 333 r 1; / 6 = 66 666 r 4; / 12 = 33 333 r 4; / 18 = 22 222 r 4; / 24 = 16 666 r 16.
        #expect(options.map(\.installmentAmount.amount) == [133_333, 66_666, 33_333, 22_222, 16_666])
        #expect(options.map(\.lastInstallmentAmount.amount) == [133_334, 66_670, 33_337, 22_226, 16_682])
        #expect(options.allSatisfy { $0.financeCharge == usd(0) && $0.totalOfPayments == usd(400_000) && $0.aprBasisPoints == 0 })
        #expect(options[0].firstPaymentDate == day("2025-02-28"))
        #expect(options[0].lastPaymentDate == day("2025-04-30"))
        #expect(options[4].lastPaymentDate == day("2027-01-31"))
    }

    @Test func theRiskTiersMapToNoneTwelveMonthsPlusFivePercentAndSixMonthsPlusFifteenPercent() {
        #expect(RiskTerms.adjustment(for: .low) == .none)
        #expect(RiskTerms.adjustment(for: .medium) == RiskAdjustment(maxTermMonths: 12, extraDownPaymentPercent: 5))
        #expect(RiskTerms.adjustment(for: .high) == RiskAdjustment(maxTermMonths: 6, extraDownPaymentPercent: 15))
    }

    @Test func aHighRiskTierGetsAtMostSixMonthsAndFifteenPercentMoreDown() {
        // $5,000 crown: 20 % + 15 % = 175 000 down, 325 000 financed: / 3 = 108 333 r 1, / 6 = 54 166 r 4.
        let high = PlanOptions.calculate(total: usd(500_000), treatmentType: "crown", frequencies: [.monthly], startDate: start,
                                         policy: .standard, risk: RiskTerms.adjustment(for: .high))
        #expect(high.map(\.termMonths) == [3, 6])
        #expect(high.allSatisfy { $0.downPayment == usd(175_000) && $0.financedAmount == usd(325_000) })
        #expect(high.map(\.installmentAmount.amount) == [108_333, 54_166])
        #expect(high.map(\.lastInstallmentAmount.amount) == [108_334, 54_170])
        let medium = PlanOptions.calculate(total: usd(500_000), treatmentType: "crown", frequencies: [.monthly], startDate: start,
                                           policy: .standard, risk: RiskTerms.adjustment(for: .medium))
        #expect(medium.map(\.termMonths) == [3, 6, 12])
        #expect(medium.first?.downPayment == usd(125_000))
    }

    @Test func aHighRiskPatientIsOfferedShorterTermsAndALargerDownPayment() {
        let risk = RiskAdjustment(maxTermMonths: 6, extraDownPaymentPercent: 10)
        let standard = PlanOptions.calculate(total: usd(500_000), treatmentType: "crown", frequencies: [.monthly], startDate: start,
                                             policy: .standard)
        let risky = PlanOptions.calculate(total: usd(500_000), treatmentType: "crown", frequencies: [.monthly], startDate: start,
                                          policy: .standard, risk: risk)
        #expect(risky.map(\.termMonths) == [3, 6])
        #expect(risky.allSatisfy { $0.downPayment == usd(150_000) })  // 20 % + 10 %
        #expect(risky.map(\.installmentAmount.amount) == [116_666, 58_333])
        #expect(risky.map(\.lastInstallmentAmount.amount) == [116_668, 58_335])
        #expect(risky.map(\.termMonths).max()! < standard.map(\.termMonths).max()!)
        #expect(risky[0].downPayment.amount > standard[0].downPayment.amount)
        #expect(PlanOptions.calculate(total: usd(500_000), treatmentType: "crown", frequencies: [.monthly], startDate: start,
                                      policy: .standard, risk: .none) == standard)
    }

    @Test func orthodonticsIsOfferedInterestFreeUpToThirtySixMonthsWhileOtherTreatmentsCarryTheAPR() {
        var policy = PlanPolicy()
        policy.aprBasisPoints = 1_200
        let ortho = PlanOptions.calculate(total: usd(500_000), treatmentType: "orthodontics", frequencies: [.monthly], startDate: start,
                                          policy: policy)
        #expect(ortho.map(\.termMonths) == [3, 6, 12, 18, 24, 36])
        #expect(ortho.allSatisfy { $0.aprBasisPoints == 0 && $0.financeCharge.amount == 0 })
        let crown = PlanOptions.calculate(total: usd(500_000), treatmentType: "crown", frequencies: [.monthly], startDate: start,
                                          policy: policy)
        #expect(crown.allSatisfy { $0.aprBasisPoints == 1_200 && $0.financeCharge.amount > 0 })
        #expect(crown.allSatisfy { $0.totalOfPayments.amount == $0.financedAmount.amount + $0.financeCharge.amount })
        // Longer terms cost more interest.
        let charges = crown.map(\.financeCharge.amount)
        #expect(charges == charges.sorted() && Set(charges).count == charges.count)
    }

    @Test func weeklyAndBiweeklyOptionsCountPaymentsFromTheTermInMonths() {
        let options = PlanOptions.calculate(total: usd(500_000), treatmentType: "orthodontics", frequencies: [.weekly, .biweekly],
                                            startDate: start, policy: .standard)
        #expect(options.filter { $0.frequency == .weekly }.map(\.numberOfPayments) == [13, 26, 52, 78, 104, 156])
        #expect(options.filter { $0.frequency == .biweekly }.map(\.numberOfPayments) == [6, 13, 26, 39, 52, 78])
        #expect(options.first?.firstPaymentDate == day("2025-02-07"))
    }

    @Test func termsWhoseInstallmentsWouldFallBelowTheMinimumAreNotOffered() {
        // $100: 2 000 down, 8 000 financed: 3 monthly of 2 666 pass, 6 of 1 333 and 13 weekly of 615 do not.
        let options = PlanOptions.calculate(total: usd(10_000), treatmentType: nil, frequencies: [.monthly, .weekly], startDate: start,
                                            policy: .standard)
        #expect(options.map(\.termMonths) == [3])
        #expect(options.map(\.frequency) == [.monthly])
        #expect(options.first?.installmentAmount == usd(2_666))
        #expect(options.first?.lastInstallmentAmount == usd(2_668))
    }

    @Test(arguments: [
        (Int64(20_000), nil as String?), (120_000, "crown"), (299_999, nil), (300_000, "implants"), (750_000, "orthodontics"),
        (2_500_000, "crown"),
    ])
    func everyOfferedOptionPassesThePolicysOwnChecks(total: Int64, treatment: String?) {
        var policy = PlanPolicy()
        policy.aprBasisPoints = 1_499
        for risk in [RiskAdjustment.none, RiskAdjustment(maxTermMonths: 12, extraDownPaymentPercent: 15)] {
            let options = PlanOptions.calculate(total: usd(total), treatmentType: treatment, frequencies: PaymentFrequency.allCases,
                                                startDate: start, policy: policy, risk: risk)
            #expect(!options.isEmpty)
            for option in options {
                let terms = PlanTerms(total: usd(total), downPayment: option.downPayment.amount, numberOfPayments: option.numberOfPayments,
                                      frequency: option.frequency, startDate: start, treatmentType: treatment)
                #expect(terms.problems(under: policy, today: start) == [], "\(option)")
                #expect(option.termMonths <= (risk.maxTermMonths ?? .max))
                #expect(option.downPayment.amount + option.financedAmount.amount == total)
            }
        }
    }
}
