import Contracts
import Foundation

/// What makes a coverage impossible (as opposed to incomplete): such an event is refused with the reasons.
/// Missing facts a claim needs (a subscriber's date of birth, say) are not refused here: the claim is held
/// naming them.
enum CoverageRules {
    static func problems(_ coverage: CoverageUpdated) -> [String] {
        var problems: [String] = []
        func money(_ value: Money?, _ name: String) {
            if let value, value.amount < 0 { problems.append("\(name) must not be negative (\(value.amount))") }
        }
        func percent(_ value: Int?, _ name: String) {
            if let value, !(0...100).contains(value) { problems.append("\(name) must be 0-100 (got \(value))") }
        }
        if coverage.memberId.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("memberId is empty") }
        if coverage.payer.payerId.isEmpty { problems.append("payer.payerId is empty") }
        if let end = coverage.terminationDate, end < coverage.effectiveDate {
            problems.append("terminationDate \(end) is before effectiveDate \(coverage.effectiveDate)")
        }
        if let month = coverage.planYearStartMonth, !(1...12).contains(month) {
            problems.append("planYearStartMonth must be 1-12 (got \(month))")
        }
        guard let benefits = coverage.benefits else { return problems }
        money(benefits.annualMaximum, "benefits.annualMaximum")
        money(benefits.annualMaximumUsed, "benefits.annualMaximumUsed")
        money(benefits.deductible, "benefits.deductible")
        money(benefits.deductibleMet, "benefits.deductibleMet")
        money(benefits.familyDeductible, "benefits.familyDeductible")
        money(benefits.familyDeductibleMet, "benefits.familyDeductibleMet")
        money(benefits.orthoLifetimeMaximum, "benefits.orthoLifetimeMaximum")
        money(benefits.orthoLifetimeUsed, "benefits.orthoLifetimeUsed")
        money(benefits.copay, "benefits.copay")
        percent(benefits.coinsurancePercent, "benefits.coinsurancePercent")
        for (name, value) in (benefits.coveragePercentByCategory ?? [:]).sorted(by: { $0.key < $1.key }) {
            percent(value, "benefits.coveragePercentByCategory.\(name)")
        }
        for (index, category) in (benefits.categories ?? []).enumerated() {
            percent(category.percent, "benefits.categories[\(index)].percent")
            if category.codeRanges.isEmpty { problems.append("benefits.categories[\(index)] has no code ranges") }
            for range in category.codeRanges where CodeRange(range) == nil {
                problems.append("benefits.categories[\(index)].codeRanges: \"\(range)\" is not a code or a range like D2000-D2999")
            }
        }
        for (index, limit) in (benefits.frequencyLimits ?? []).enumerated() {
            if limit.times < 0 { problems.append("benefits.frequencyLimits[\(index)].times must not be negative") }
            if let months = limit.periodMonths, months <= 0 { problems.append("benefits.frequencyLimits[\(index)].periodMonths must be positive") }
        }
        for (index, wait) in (benefits.waitingPeriods ?? []).enumerated() where wait.months < 0 {
            problems.append("benefits.waitingPeriods[\(index)].months must not be negative")
        }
        if let max = benefits.annualMaximum, let used = benefits.annualMaximumUsed, used.amount > max.amount {
            problems.append("benefits.annualMaximumUsed (\(used.amount)) is more than the annual maximum (\(max.amount))")
        }
        let currencies = Set([benefits.annualMaximum, benefits.annualMaximumUsed, benefits.deductible, benefits.deductibleMet,
                              benefits.familyDeductible, benefits.familyDeductibleMet, benefits.orthoLifetimeMaximum,
                              benefits.orthoLifetimeUsed, benefits.copay].compactMap { $0?.currency })
        if currencies.count > 1 { problems.append("benefits mix currencies: \(currencies.sorted().joined(separator: ", "))") }
        return problems
    }
}

/// "D2000-D2999" or one code "D1110": codes compare as text of equal length.
struct CodeRange: Hashable, Sendable {
    let low: String
    let high: String

    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        guard (1...2).contains(parts.count), let low = parts.first, let high = parts.last, !low.isEmpty,
              low.count == high.count, low <= high else { return nil }
        self.low = low
        self.high = high
    }

    func contains(_ code: String) -> Bool {
        let code = code.uppercased()
        return code.count == low.count && low <= code && code <= high
    }
}
