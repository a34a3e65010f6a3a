import Contracts

/// The service category a code falls in, as the estimator uses it.
struct EstimateCategory: Hashable, Sendable {
    var name: String
    /// What the plan pays, 0–100.
    var percent: Int
    var deductibleApplies: Bool
}

/// Which category a procedure code belongs to, and the small calendar and money rules of an estimate.
enum BenefitRules {
    /// The usual CDT ranges, used when a plan names its categories without ranges (`coveragePercentByCategory`).
    static let usualCDTRanges: [String: [String]] = [
        "diagnostic": ["D0100-D0999"],
        "preventive": ["D1000-D1999"],
        "basic": ["D2000-D2399", "D3000-D3999", "D4000-D4999", "D7000-D7999", "D9000-D9999"],
        "major": ["D2400-D2999", "D5000-D6999"],
        "orthodontics": ["D8000-D8999"],
    ]

    /// Plans usually waive the deductible for these; a plan that names categories only gets that usual rule.
    static let usualDeductibleWaived: Set<String> = ["diagnostic", "preventive", "orthodontics"]

    /// The plan's category for `code`: the first explicit `categories` entry whose ranges hold the code wins
    /// (absent `deductibleApplies` means it applies); otherwise a category named in `coveragePercentByCategory`
    /// with its usual CDT ranges. Nil means the plan does not cover the code.
    static func category(of code: String, in benefits: PlanBenefits) -> EstimateCategory? {
        for category in benefits.categories ?? [] where category.codeRanges.contains(where: { codeMatches(code, $0) }) {
            return EstimateCategory(name: category.name, percent: category.percent,
                                    deductibleApplies: category.deductibleApplies ?? true)
        }
        // Sorted so that the answer does not depend on dictionary order.
        for (name, percent) in (benefits.coveragePercentByCategory ?? [:]).sorted(by: { $0.key < $1.key }) {
            let key = name.lowercased()
            guard let ranges = usualCDTRanges[key], ranges.contains(where: { codeMatches(code, $0) }) else { continue }
            return EstimateCategory(name: name, percent: percent, deductibleApplies: !usualDeductibleWaived.contains(key))
        }
        return nil
    }

    /// Orthodontic codes are capped by the orthodontic lifetime maximum (when the plan gives one).
    static func isOrthodontic(_ code: String) -> Bool { codeMatches(code, "D8000-D8999") }

    /// "D0100-D0999" holds D0100 through D0999; "D1110" holds only itself.
    static func codeMatches(_ code: String, _ rangeText: String) -> Bool {
        CodeRange(rangeText)?.contains(code.trimmingSpaces) ?? false
    }

    // MARK: Money

    /// `percent` % of `amount`, rounded half up to the minor unit, in integers only (never floating point):
    /// 80 % of $110.01 = 8800.8 cents → $88.01.
    static func percent(_ percent: Int, of amount: Int64) -> Int64 {
        precondition(amount >= 0 && (0...100).contains(percent), "percent of a negative amount or out of 0–100")
        return (amount * Int64(percent) + 50) / 100
    }

    /// For explanations: "$1,500.00" for dollar currencies, "1,500.00 EUR" otherwise.
    static func text(_ amount: Int64, _ currency: String) -> String {
        let display = Money(amount: amount, currency: currency).display
        guard ["USD", "CAD", "AUD", "NZD", "MXN"].contains(currency) else { return display }
        let number = String(display.dropLast(currency.count + 1))
        return number.hasPrefix("-") ? "-$" + number.dropFirst() : "$" + number
    }
}

private extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// One coverage's running totals across the lines of an estimate (deductible, maxima, co-pay, frequency),
/// and the rules that decide what it pays of one line. The order of the rules is `BenefitEstimator`'s.
struct EstimatePayerLedger: Sendable {
    let coverage: CoverageUpdated
    let currency: String
    private var deductibleLeft: Int64?
    private var familyDeductibleLeft: Int64?
    private let annualMaximumLeftBefore: Int64?
    private var annualMaximumLeft: Int64?
    private var orthoMaximumLeft: Int64?
    private var copayLeft: Int64
    private var frequency: EstimateFrequencyTracker
    private var needed: Int64 = 0
    private var paid: Int64 = 0

    init(coverage: CoverageUpdated, history: [EstimateHistoryItem], currency: String) {
        let benefits = coverage.benefits ?? PlanBenefits()
        func left(_ total: Money?, _ used: Money?) -> Int64? { total.map { max(0, $0.amount - (used?.amount ?? 0)) } }
        self.coverage = coverage
        self.currency = currency
        deductibleLeft = left(benefits.deductible, benefits.deductibleMet)
        familyDeductibleLeft = left(benefits.familyDeductible, benefits.familyDeductibleMet)
        annualMaximumLeftBefore = left(benefits.annualMaximum, benefits.annualMaximumUsed)
        annualMaximumLeft = annualMaximumLeftBefore
        orthoMaximumLeft = left(benefits.orthoLifetimeMaximum, benefits.orthoLifetimeUsed)
        copayLeft = coverage.kind == .medical ? max(0, benefits.copay?.amount ?? 0) : 0
        frequency = EstimateFrequencyTracker(limits: benefits.frequencyLimits ?? [], history: history,
                                             planYearStartMonth: coverage.planYearStartMonth)
    }

    var payerId: String { coverage.payer.payerId }
    var payerName: String { coverage.payer.name }

    func isInEffect(on date: CalendarDate) -> Bool {
        coverage.effectiveDate <= date && (coverage.terminationDate.map { date <= $0 } ?? true)
    }

    /// What this coverage pays of `base` for `code` on `date`, never more than `limit` (for a secondary:
    /// what the primary left), with the reasons it pays less than `base`.
    mutating func adjudicate(code: String, base: Int64, limit: Int64, on date: CalendarDate)
        -> (pays: Int64, reductions: [EstimateReduction]) {
        var reductions: [EstimateReduction] = []
        func reduce(_ reason: EstimateReductionReason, _ amount: Int64, _ explanation: String) {
            guard amount > 0 else { return }
            reductions.append(EstimateReduction(reason: reason, amount: Money(amount: amount, currency: currency),
                                                payerId: payerId, explanation: explanation))
        }
        func money(_ amount: Int64) -> String { BenefitRules.text(amount, currency) }

        guard let benefits = coverage.benefits else {
            reduce(.notCovered, base, "no benefits are on file for \(payerName)")
            return (0, reductions)
        }
        if date < coverage.effectiveDate {
            reduce(.notCovered, base, "\(payerName) coverage starts on \(coverage.effectiveDate)")
            return (0, reductions)
        }
        if let end = coverage.terminationDate, end < date {
            reduce(.notCovered, base, "\(payerName) coverage ended on \(end)")
            return (0, reductions)
        }
        let medical = coverage.kind == .medical
        let percent: Int, deductibleApplies: Bool, workName: String
        if medical {
            percent = 100 - min(100, max(0, benefits.coinsurancePercent ?? 0))
            (deductibleApplies, workName) = (true, "")
        } else {
            guard let category = BenefitRules.category(of: code, in: benefits), category.percent > 0 else {
                reduce(.notCovered, base, "\(payerName) does not cover \(code)")
                return (0, reductions)
            }
            if let wait = benefits.waitingPeriods?.first(where: { $0.category.lowercased() == category.name.lowercased() }) {
                let from = ClaimCalendar.adding(months: wait.months, to: coverage.effectiveDate)
                if date < from {
                    reduce(.waitingPeriod, base, "\(category.name) work is covered from \(from) (a \(wait.months)-month waiting period)")
                    return (0, reductions)
                }
            }
            (percent, deductibleApplies, workName) = (min(100, category.percent), category.deductibleApplies, category.name)
        }
        if let limit = frequency.limitReached(code: code, on: date) {
            reduce(.frequencyLimit, base, "\(payerName) covers \(code) \(EstimateFrequencyTracker.describe(limit)), already used")
            return (0, reductions)
        }
        frequency.accept(code: code, on: date)

        var rest = base
        if copayLeft > 0 {
            let copay = min(rest, copayLeft)
            copayLeft -= copay
            rest -= copay
            reduce(.coinsurance, copay, "the patient pays a \(money(benefits.copay?.amount ?? 0)) co-pay per visit")
        }
        if deductibleApplies, let left = [deductibleLeft, familyDeductibleLeft].compactMap({ $0 }).min() {
            let which = left == deductibleLeft ? "deductible" : "family deductible"
            let applied = min(rest, left)
            deductibleLeft = deductibleLeft.map { $0 - applied }
            familyDeductibleLeft = familyDeductibleLeft.map { $0 - applied }
            rest -= applied
            reduce(.deductible, applied, applied == left ? "\(money(left)) of the \(which) is still to be met"
                                                          : "\(money(applied)) goes to the \(which) (\(money(left)) still to be met)")
        }
        let covered = BenefitRules.percent(percent, of: rest)
        reduce(.coinsurance, rest - covered, medical ? "the patient pays \(100 - percent) % coinsurance"
                                                     : "the plan pays \(percent) % of \(workName) work")
        needed += min(covered, limit)
        var pays = covered
        if !medical, BenefitRules.isOrthodontic(code), let orthoLeft = orthoMaximumLeft {
            pays = min(pays, orthoLeft)
            reduce(.orthoLifetimeMaximum, covered - pays,
                   "only \(money(orthoLeft)) is left of the \(money(benefits.orthoLifetimeMaximum?.amount ?? 0)) orthodontic lifetime maximum")
            pays = min(pays, limit)
            orthoMaximumLeft = orthoLeft - pays
        } else if let annualLeft = annualMaximumLeft {
            pays = min(pays, annualLeft)
            reduce(.annualMaximum, covered - pays,
                   "only \(money(annualLeft)) is left of the \(money(benefits.annualMaximum?.amount ?? 0)) annual maximum")
            pays = min(pays, limit)
            annualMaximumLeft = annualLeft - pays
        }
        pays = min(pays, limit)
        paid += pays
        return (pays, reductions)
    }

    var summary: BenefitEstimatePayer {
        func money(_ amount: Int64?) -> Money? { amount.map { Money(amount: $0, currency: currency) } }
        return BenefitEstimatePayer(
            coverageId: coverage.coverageId, payerId: payerId, priority: coverage.priority,
            insuranceNeeded: Money(amount: needed, currency: currency), insurancePays: Money(amount: paid, currency: currency),
            annualMaximumLeftBefore: money(annualMaximumLeftBefore), annualMaximumLeftAfter: money(annualMaximumLeft),
            orthoMaximumLeftAfter: money(orthoMaximumLeft), deductibleLeftAfter: money(deductibleLeft))
    }
}
