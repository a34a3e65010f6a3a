import Contracts

/// A procedure the patient already had (done or claimed): it uses up frequency limits ("two cleanings a year").
public struct EstimateHistoryItem: Codable, Hashable, Sendable {
    public var code: String
    public var serviceDate: CalendarDate
    public init(code: String, serviceDate: CalendarDate) {
        self.code = code
        self.serviceDate = serviceDate
    }
}

/// Counts, for one coverage, how often each frequency limit is already used: by the history, and by the
/// earlier lines of the same estimate that this coverage accepted (two D1110 in one plan with a limit of
/// one: the second is not covered).
struct EstimateFrequencyTracker: Sendable {
    let limits: [FrequencyLimit]
    let history: [EstimateHistoryItem]
    /// The benefit year starts on the 1st of this month (nil: January).
    let planYearStartMonth: Int?
    /// Codes this coverage accepted earlier in the estimate (all on the estimate's service date).
    private(set) var acceptedInEstimate: [EstimateHistoryItem] = []

    init(limits: [FrequencyLimit], history: [EstimateHistoryItem], planYearStartMonth: Int?) {
        self.limits = limits
        self.history = history
        self.planYearStartMonth = planYearStartMonth
    }

    /// The first limit that `code` on `date` would go over, or nil when it fits every limit.
    ///
    /// The window of a limit with `periodMonths` is rolling: the months before the date, the day exactly
    /// that many months ago excluded ("once in 12 months": 2025-03-01 then 2026-03-01 is fine). Without
    /// `periodMonths` it is the benefit year that holds the date (it starts in `planYearStartMonth`), so use
    /// from the previous benefit year does not count.
    func limitReached(code: String, on date: CalendarDate) -> FrequencyLimit? {
        for limit in limits where limit.codes.contains(where: { BenefitRules.codeMatches(code, $0) }) {
            let window = self.window(of: limit, around: date)
            let used = (history + acceptedInEstimate).filter { item in
                window.contains(item.serviceDate) && limit.codes.contains(where: { BenefitRules.codeMatches(item.code, $0) })
            }.count
            if used >= limit.times { return limit }
        }
        return nil
    }

    /// Records that the coverage accepted `code` on `date` in this estimate.
    mutating func accept(code: String, on date: CalendarDate) {
        acceptedInEstimate.append(EstimateHistoryItem(code: code, serviceDate: date))
    }

    /// The dates that count for `limit`: `lowerBound` included, `upperBound` excluded.
    func window(of limit: FrequencyLimit, around date: CalendarDate) -> Range<CalendarDate> {
        if let months = limit.periodMonths {
            return dayAfter(ClaimCalendar.adding(months: -months, to: date))..<dayAfter(date)
        }
        let start = ClaimCalendar.benefitYearStart(of: date, startMonth: planYearStartMonth)
        return start..<ClaimCalendar.adding(months: 12, to: start)
    }

    /// In words, for a reduction: "D1110 is covered 2 times per benefit year", "… 1 time in 12 months".
    static func describe(_ limit: FrequencyLimit) -> String {
        let times = limit.times == 1 ? "1 time" : "\(limit.times) times"
        let period = limit.periodMonths.map { "in \($0) months" } ?? "per benefit year"
        return "\(times) \(period)"
    }

    private func dayAfter(_ date: CalendarDate) -> CalendarDate {
        if date.day < ClaimCalendar.daysIn(month: date.month, year: date.year) {
            return CalendarDate(year: date.year, month: date.month, day: date.day + 1)!
        }
        return ClaimCalendar.adding(months: 1, to: CalendarDate(year: date.year, month: date.month, day: 1)!)
    }
}
