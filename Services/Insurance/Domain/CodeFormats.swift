import Contracts

/// The shapes of the codes a claim carries: procedure codes per code system and ICD-10-CM diagnoses.
/// Shape only: whether a code exists in this year's code set is the payer's concern.
enum ClaimCodeFormat {
    /// "d1110 " → "D1110": what people type, as X12 carries it.
    static func normalizedProcedureCode(_ code: String) -> String {
        trimmed(code).uppercased()
    }

    /// "k02.52" → "K0252": X12 carries ICD-10 codes without the dot.
    static func normalizedDiagnosis(_ code: String) -> String {
        String(trimmed(code).uppercased().filter { $0 != "." })
    }

    /// CDT: D and four digits (D1110). CPT: five characters led by four digits, the fifth a digit or a category
    /// letter (F category II, T category III, U lab analyses, M multianalyte). HCPCS Level II: a letter A–V and
    /// four digits (E0114).
    static func isValid(_ code: String, system: CodeSystem) -> Bool {
        let c = Array(code.utf8)
        guard c.count == 5 else { return false }
        let fourDigits = c[1...4].allSatisfy(isDigit)
        switch system {
        case .cdt:
            return c[0] == UInt8(ascii: "D") && fourDigits
        case .cpt:
            let last = c[4]
            return c[0...3].allSatisfy(isDigit)
                && (isDigit(last) || [UInt8(ascii: "F"), UInt8(ascii: "T"), UInt8(ascii: "U"), UInt8(ascii: "M")].contains(last))
        case .hcpcs:
            return (UInt8(ascii: "A")...UInt8(ascii: "V")).contains(c[0]) && fourDigits
        }
    }

    /// ICD-10-CM without the dot: a letter, a digit, a letter or digit, then up to four more letters or digits.
    static func isValidDiagnosis(_ code: String) -> Bool {
        let c = Array(code.utf8)
        guard (3...7).contains(c.count), isLetter(c[0]), isDigit(c[1]) else { return false }
        return c[2...].allSatisfy { isDigit($0) || isLetter($0) }
    }

    /// A claim kind's code systems: an 837D carries CDT, an 837P CPT and HCPCS.
    static func systems(for kind: CoverageKind) -> [CodeSystem] {
        kind == .dental ? [.cdt] : [.cpt, .hcpcs]
    }

    /// Whether `code` is one of `codesOrRanges` ("D1110" or "D0100-D0999", as plans write frequency limits and
    /// benefit categories). Codes of one system have one length, so string order is code order.
    static func matches(_ code: String, _ codesOrRanges: [String]) -> Bool {
        let code = normalizedProcedureCode(code)
        return codesOrRanges.contains { entry in
            let parts = entry.split(separator: "-").map { normalizedProcedureCode(String($0)) }
            if parts.count == 2 {
                return code.count == parts[0].count && parts[0] <= code && code <= parts[1]
            }
            return parts.count == 1 && parts[0] == code
        }
    }

    /// The numeric part of a CDT code ("D2392" → 2392), for the tooth chart's ranges.
    static func cdtNumber(_ code: String) -> Int? {
        guard isValid(code, system: .cdt) else { return nil }
        return Int(code.dropFirst())
    }

    /// Without leading and trailing spaces, tabs and line breaks (no Foundation needed).
    static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(text[first...last])
    }

    /// Only ASCII digits (and at least one).
    static func isDigits(_ text: String) -> Bool { !text.isEmpty && text.utf8.allSatisfy(isDigit) }

    private static func isDigit(_ b: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
    private static func isLetter(_ b: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) }
}

/// The day arithmetic claim checks need (filing limits, frequency windows), on plain calendar days.
enum ClaimCalendar {
    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil), so that two dates subtract to a day count.
    static func dayNumber(_ date: CalendarDate) -> Int {
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (date.month + (date.month > 2 ? -3 : 9)) + 2) / 5 + date.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func days(from start: CalendarDate, to end: CalendarDate) -> Int { dayNumber(end) - dayNumber(start) }

    /// The same day `months` later (or earlier), the last of the month when it has fewer days: Jan 31 + 1 → Feb 28.
    static func adding(months: Int, to date: CalendarDate) -> CalendarDate {
        let index = date.year * 12 + (date.month - 1) + months
        let year = index / 12, month = index % 12 + 1
        return CalendarDate(year: year, month: month, day: min(date.day, daysIn(month: month, year: year))) ?? date
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The first day of the benefit year that contains `date`; plans start it in `startMonth` (absent: January).
    static func benefitYearStart(of date: CalendarDate, startMonth: Int?) -> CalendarDate {
        let month = (1...12).contains(startMonth ?? 1) ? (startMonth ?? 1) : 1
        let year = date.month >= month ? date.year : date.year - 1
        return CalendarDate(year: year, month: month, day: 1) ?? date
    }
}
