import Contracts
import Foundation

/// A clinic's rules for payment plans (`GET`/`PUT /api/billing/payment-plans/policy`). Amounts in minor units.
struct PlanPolicy: Codable, Sendable, Equatable {
    /// The least down payment, as a percentage of the total…
    var minDownPaymentPercent: Int = 20
    /// …and as a fixed amount; the larger of the two applies (never more than the total).
    var minDownPayment: Int64 = 0
    /// The longest term for a treatment type and amount; the most specific matching rule wins.
    var maxTermMonths: [TermRule] = [TermRule(treatmentType: nil, minAmount: 0, months: 12),
                                     TermRule(treatmentType: nil, minAmount: 300_000, months: 24),
                                     TermRule(treatmentType: "orthodontics", minAmount: 0, months: 36)]
    /// Interest-free unless an APR is set; treatment types listed here never charge interest.
    var aprBasisPoints: Int = 0
    var interestFreeTreatmentTypes: [String] = ["orthodontics"]
    var maxPauseDays: Int = 60
    var signatureRequired: Bool = true
    /// Without autopay, an installment unpaid this many days after its due date is missed.
    var graceDays: Int = 10
    /// The terms the options calculator offers, in months.
    var optionTermsMonths: [Int] = [3, 6, 12, 18, 24, 36]
    /// No installment smaller than this.
    var minInstallment: Int64 = 2_500

    struct TermRule: Codable, Sendable, Equatable {
        /// nil: any treatment type.
        var treatmentType: String?
        /// The rule applies to totals of at least this many minor units.
        var minAmount: Int64
        var months: Int
    }

    static let standard = PlanPolicy()

    init() {}

    /// A key left out keeps the standard value, so a clinic can set only what it changes.
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let s = PlanPolicy.standard
        minDownPaymentPercent = try c.decodeIfPresent(Int.self, forKey: .minDownPaymentPercent) ?? s.minDownPaymentPercent
        minDownPayment = try c.decodeIfPresent(Int64.self, forKey: .minDownPayment) ?? s.minDownPayment
        maxTermMonths = try c.decodeIfPresent([TermRule].self, forKey: .maxTermMonths) ?? s.maxTermMonths
        aprBasisPoints = try c.decodeIfPresent(Int.self, forKey: .aprBasisPoints) ?? s.aprBasisPoints
        interestFreeTreatmentTypes = try c.decodeIfPresent([String].self, forKey: .interestFreeTreatmentTypes)
            ?? s.interestFreeTreatmentTypes
        maxPauseDays = try c.decodeIfPresent(Int.self, forKey: .maxPauseDays) ?? s.maxPauseDays
        signatureRequired = try c.decodeIfPresent(Bool.self, forKey: .signatureRequired) ?? s.signatureRequired
        graceDays = try c.decodeIfPresent(Int.self, forKey: .graceDays) ?? s.graceDays
        optionTermsMonths = try c.decodeIfPresent([Int].self, forKey: .optionTermsMonths) ?? s.optionTermsMonths
        minInstallment = try c.decodeIfPresent(Int64.self, forKey: .minInstallment) ?? s.minInstallment
    }

    func maxTerm(total: Int64, treatmentType: String?) -> Int {
        let matching = maxTermMonths.filter { ($0.treatmentType == nil || $0.treatmentType == treatmentType) && total >= $0.minAmount }
        // Specific to the treatment type beats general; then the highest threshold reached.
        let best = matching.max { a, b in
            (a.treatmentType != nil ? 1 : 0, a.minAmount) < (b.treatmentType != nil ? 1 : 0, b.minAmount)
        }
        return best?.months ?? 12
    }

    func minimumDownPayment(total: Int64) -> Int64 {
        let percent = (total * Int64(minDownPaymentPercent) + 99) / 100  // rounded up: never below the percentage
        return min(total, max(percent, minDownPayment))
    }

    func apr(treatmentType: String?) -> Int {
        treatmentType.map { interestFreeTreatmentTypes.contains($0) } == true ? 0 : aprBasisPoints
    }

    /// What is wrong with the policy itself, for `PUT …/policy`.
    var problems: [PlanProblem] {
        var found: [PlanProblem] = []
        func add(_ param: String, _ message: String) { found.append(PlanProblem(code: "policy_invalid", message: message, param: param)) }
        if !(0...100).contains(minDownPaymentPercent) { add("minDownPaymentPercent", "minDownPaymentPercent must be 0–100") }
        if minDownPayment < 0 { add("minDownPayment", "minDownPayment must not be negative") }
        if maxTermMonths.isEmpty { add("maxTermMonths", "maxTermMonths needs at least one rule") }
        if maxTermMonths.contains(where: { !(1...120).contains($0.months) || $0.minAmount < 0 }) {
            add("maxTermMonths", "each term rule needs months 1–120 and a non-negative minAmount")
        }
        if !(0...3_600).contains(aprBasisPoints) { add("aprBasisPoints", "aprBasisPoints must be 0–3600 (0 %–36 %)") }
        if !(0...365).contains(maxPauseDays) { add("maxPauseDays", "maxPauseDays must be 0–365") }
        if !(0...90).contains(graceDays) { add("graceDays", "graceDays must be 0–90") }
        if optionTermsMonths.isEmpty || optionTermsMonths.contains(where: { $0 < 1 }) {
            add("optionTermsMonths", "optionTermsMonths needs positive month counts")
        }
        if minInstallment < 1 { add("minInstallment", "minInstallment must be at least 1") }
        return found
    }
}

/// The terms of a plan a clerk (or a patient on an offer page) asks for.
struct PlanTerms: Codable, Sendable, Equatable {
    var total: Money
    var downPayment: Int64
    var numberOfPayments: Int
    var frequency: PaymentFrequency
    var startDate: CalendarDate
    var treatmentType: String?

    /// Installments start one period after the start date (the down payment is due on it).
    var firstDueDate: CalendarDate { frequency.date(1, after: startDate) }

    /// The policy's checks, each with the field at fault.
    func problems(under policy: PlanPolicy, today: CalendarDate) -> [PlanProblem] {
        var found: [PlanProblem] = []
        func add(_ code: String, _ param: String, _ message: String) { found.append(PlanProblem(code: code, message: message, param: param)) }
        func money(_ amount: Int64) -> String { Money(amount: amount, currency: total.currency).display }
        let minimum = policy.minimumDownPayment(total: total.amount)
        if total.amount <= 0 { add("amount_invalid", "totalAmount", "totalAmount must be positive") }
        if downPayment < 0 || downPayment > total.amount { add("down_payment_invalid", "downPayment", "downPayment must be between 0 and the total") }
        else if downPayment < minimum {
            add("down_payment_too_small", "downPayment",
                "the clinic's policy needs a down payment of at least \(money(minimum)) (\(policy.minDownPaymentPercent) % of the total or \(money(policy.minDownPayment)), whichever is larger)")
        }
        if numberOfPayments < 1 { add("payments_invalid", "numberOfPayments", "numberOfPayments must be at least 1") }
        let maxTerm = policy.maxTerm(total: total.amount, treatmentType: treatmentType)
        if numberOfPayments >= 1 && frequency.months(for: numberOfPayments) > maxTerm {
            add("term_too_long", "numberOfPayments",
                "\(numberOfPayments) \(frequency.rawValue.lowercased()) payments exceed the clinic's maximum term of \(maxTerm) months for this treatment and amount")
        }
        let financed = total.amount - downPayment
        if numberOfPayments >= 1 && financed > 0 && financed / Int64(numberOfPayments) < min(policy.minInstallment, financed) {
            add("installment_too_small", "numberOfPayments", "installments would be below the clinic's minimum of \(money(policy.minInstallment))")
        }
        if startDate < today { add("start_date_invalid", "startDate", "startDate must not be in the past") }
        return found
    }
}

/// One plan the options calculator offers.
struct PlanOption: Codable, Sendable, Equatable {
    var termMonths: Int
    var frequency: PaymentFrequency
    var downPayment: Money
    var financedAmount: Money
    var numberOfPayments: Int
    var installmentAmount: Money
    /// The last installment, when the rounding rule makes it differ.
    var lastInstallmentAmount: Money
    var financeCharge: Money
    var aprBasisPoints: Int
    var totalOfPayments: Money
    var firstPaymentDate: CalendarDate
    var lastPaymentDate: CalendarDate
}

enum PlanOptions {
    /// Plans for `total` within the policy: one per offered term (up to the maximum term, shortened by the
    /// patient's risk) for each frequency asked, each with the least down payment (raised by risk).
    static func calculate(total: Money, treatmentType: String?, frequencies: [PaymentFrequency], startDate: CalendarDate,
                          policy: PlanPolicy, risk: RiskAdjustment = .none) -> [PlanOption] {
        let maxTerm = min(policy.maxTerm(total: total.amount, treatmentType: treatmentType), risk.maxTermMonths ?? .max)
        let base = policy.minimumDownPayment(total: total.amount)
        let extra = (total.amount * Int64(risk.extraDownPaymentPercent) + 99) / 100
        let down = min(total.amount, base + extra)
        let financed = total.amount - down
        let apr = policy.apr(treatmentType: treatmentType)
        var options: [PlanOption] = []
        for frequency in frequencies {
            for months in policy.optionTermsMonths.sorted() where months <= maxTerm {
                let count = max(1, months * frequency.periodsPerYear / 12)
                guard financed == 0 || financed / Int64(count) >= min(policy.minInstallment, financed) else { continue }
                let terms = PlanTerms(total: total, downPayment: down, numberOfPayments: count, frequency: frequency,
                                      startDate: startDate, treatmentType: treatmentType)
                let lines = InstallmentCalculator.lines(amount: financed, count: count, frequency: frequency,
                                                        firstDue: terms.firstDueDate, dayOfMonth: startDate.day,
                                                        aprBasisPoints: apr)
                let charge = lines.reduce(0) { $0 + $1.interest }
                func money(_ amount: Int64) -> Money { Money(amount: amount, currency: total.currency) }
                options.append(PlanOption(
                    termMonths: months, frequency: frequency, downPayment: money(down), financedAmount: money(financed),
                    numberOfPayments: count, installmentAmount: money(lines[0].amount),
                    lastInstallmentAmount: money(lines[count - 1].amount), financeCharge: money(charge), aprBasisPoints: apr,
                    totalOfPayments: money(financed + charge), firstPaymentDate: lines[0].dueDate,
                    lastPaymentDate: lines[count - 1].dueDate))
            }
        }
        return options
    }
}

/// How a patient's propensity to pay shapes the options: shorter terms and a larger down payment for a
/// high risk.
struct RiskAdjustment: Codable, Sendable, Equatable {
    var maxTermMonths: Int?
    var extraDownPaymentPercent: Int

    static let none = RiskAdjustment(maxTermMonths: nil, extraDownPaymentPercent: 0)
}
