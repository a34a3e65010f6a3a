import Contracts
import X12

/// One claim of an 837D or 837P as a payer reads it: enough to acknowledge it (277CA) and to check it.
public struct ClaimFileClaim: Hashable, Sendable {
    /// CLM01, the patient control number: our claim id.
    public var claimId: String
    /// CLM02 as written, and in minor units when it is an exact amount.
    public var totalText: String
    public var total: Int64?
    /// CLM05-3: "1" original, "7" replacement, "8" void.
    public var frequencyCode: String
    /// Dental when the set is 005010X224A2 or its lines are SV3.
    public var kind: CoverageKind
    /// 2010BA NM109, exactly as written.
    public var memberId: String
    /// 2010BB NM109.
    public var payerId: String
    /// 2010AA NM109.
    public var billingNpi: String
    public var billingName: String
    /// 2310B and 2420A NM109, in file order, without repeats.
    public var renderingNpis: [String]
    public var subscriber: PersonName?
    /// 2010CA when the patient is a dependent, otherwise the subscriber.
    public var patient: PersonName?
    /// 2300 DTP*472 (837D may give the date once for the claim).
    public var serviceDate: CalendarDate?
    public var lines: [ClaimFileLine]
    /// ST02 of the set that carries the claim, and the CLM's index in its `segments`.
    public var transactionControlNumber: String
    public var segmentIndex: Int

    /// What the lines add up to, when every line amount is exact.
    public var linesTotal: Int64? {
        var sum: Int64 = 0
        for line in lines {
            guard let amount = line.amount else { return nil }
            sum += amount
        }
        return sum
    }
}

/// One service line (2400): SV1 (professional) or SV3 (dental).
public struct ClaimFileLine: Hashable, Sendable {
    /// LX01.
    public var number: Int
    /// SV101-2 / SV301-2: the CPT/HCPCS or CDT code; `qualifier` is HC or AD.
    public var code: String
    public var qualifier: String
    public var amountText: String
    public var amount: Int64?
    /// TOO02 of each TOO, and the surfaces (TOO03) of the first.
    public var teeth: [String]
    public var surfaces: [String]
    /// 2400 DTP*472, else the claim's.
    public var serviceDate: CalendarDate?
    /// 2420A NM109.
    public var renderingNpi: String?

    public var tooth: String? { teeth.first }
}

public enum ClaimFileReader {
    /// Every claim of every 837 set of the interchange, in file order.
    public static func claims(in interchange: X12Interchange) -> [ClaimFileClaim] {
        interchange.transactionSets.filter { $0.id == "837" }.flatMap { claims(in: $0) }
    }

    /// The claims of one 837 set. The parties come from the HL loops above each CLM; NM1s inside a
    /// claim (2310x, 2330x other-payer loops) never replace them.
    public static func claims(in set: X12TransactionSet) -> [ClaimFileClaim] {
        let dental = set.implementationConvention?.hasPrefix("005010X224") ?? false
        var claims: [ClaimFileClaim] = []
        var level = ""
        var billing = (npi: "", name: "")
        var member = "", payer = ""
        var subscriber: PersonName?, patient: PersonName?
        var inClaim = false
        var inOtherSubscriber = false

        for (index, segment) in set.segments.enumerated() {
            switch segment.id {
            case "HL":
                level = segment[3]
                inClaim = false
                if level == "22" { (member, payer, subscriber, patient) = ("", "", nil, nil) }
                if level == "23" { patient = nil }
            case "NM1" where !inClaim:
                switch (level, segment[1]) {
                case ("20", "85"): billing = (segment[9], segment[3])
                case ("22", "IL"): (member, subscriber) = (segment[9], personName(segment))
                case ("22", "PR"): payer = segment[9]
                case ("23", "QC"): patient = personName(segment)
                default: break
                }
            case "CLM":
                inClaim = true
                inOtherSubscriber = false
                claims.append(ClaimFileClaim(
                    claimId: segment[1], totalText: segment[2], total: ClearinghouseDecimal.scaled(segment[2], digits: 2),
                    frequencyCode: segment.component(5, 3), kind: dental ? .dental : .medical, memberId: member,
                    payerId: payer, billingNpi: billing.npi, billingName: billing.name, renderingNpis: [],
                    subscriber: subscriber, patient: level == "23" ? patient : subscriber, serviceDate: nil, lines: [],
                    transactionControlNumber: set.controlNumber, segmentIndex: index))
            case "SBR" where inClaim:
                inOtherSubscriber = true  // 2320: other payers' data follows until the lines
            case "LX" where inClaim:
                inOtherSubscriber = false
                claims[claims.count - 1].lines.append(ClaimFileLine(
                    number: Int(segment[1]) ?? claims[claims.count - 1].lines.count + 1, code: "", qualifier: "",
                    amountText: "", amount: nil, teeth: [], surfaces: [], serviceDate: claims[claims.count - 1].serviceDate,
                    renderingNpi: nil))
            case "SV1" where inClaim, "SV3" where inClaim:
                if segment.id == "SV3" { claims[claims.count - 1].kind = .dental }
                updateLastLine(&claims) {
                    $0.qualifier = segment.component(1, 1)
                    $0.code = segment.component(1, 2)
                    $0.amountText = segment[2]
                    $0.amount = ClearinghouseDecimal.scaled(segment[2], digits: 2)
                }
            case "TOO" where inClaim:
                updateLastLine(&claims) {
                    if $0.teeth.isEmpty { $0.surfaces = segment.element(3)?.repetitions.first ?? [] }
                    $0.teeth.append(segment[2])
                    $0.surfaces = $0.surfaces.filter { !$0.isEmpty }
                }
            case "DTP" where inClaim && segment[1] == "472":
                let date = ClearinghouseDate.calendarDate(segment[3])
                if claims[claims.count - 1].lines.isEmpty {
                    claims[claims.count - 1].serviceDate = date
                } else {
                    updateLastLine(&claims) { $0.serviceDate = date }
                }
            case "NM1" where inClaim && segment[1] == "82" && !inOtherSubscriber:
                let npi = segment[9]
                if !claims[claims.count - 1].renderingNpis.contains(npi) { claims[claims.count - 1].renderingNpis.append(npi) }
                if !claims[claims.count - 1].lines.isEmpty { updateLastLine(&claims) { $0.renderingNpi = npi } }
            default:
                break
            }
        }
        return claims
    }

    private static func updateLastLine(_ claims: inout [ClaimFileClaim], _ change: (inout ClaimFileLine) -> Void) {
        guard !claims.isEmpty, !claims[claims.count - 1].lines.isEmpty else { return }
        change(&claims[claims.count - 1].lines[claims[claims.count - 1].lines.count - 1])
    }

    /// NM103 family, NM104 given; nil when the segment names no person.
    static func personName(_ nm1: X12Segment) -> PersonName? {
        nm1[3].isEmpty && nm1[4].isEmpty ? nil : PersonName(given: nm1[4], family: nm1[3])
    }
}

/// X12 decimal numbers ("R" elements) read and written exactly, as integers of a given scale: no Double.
public enum ClearinghouseDecimal {
    /// "100.00" at 2 digits is 10000; ".20" at 2 digits is 20; "12.345" at 2 digits is nil (not exact).
    public static func scaled(_ text: String, digits: Int) -> Int64? {
        var rest = Substring(text)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        let whole = String(parts[0])
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard !(whole.isEmpty && fraction.isEmpty) else { return nil }
        while fraction.count > digits, fraction.last == "0" { fraction.removeLast() }
        guard fraction.count <= digits else { return nil }
        // Int64 refuses what would overflow.
        guard let value = Int64(whole + fraction + String(repeating: "0", count: digits - fraction.count)) else { return nil }
        return negative ? -value : value
    }

    /// 12500 at 2 digits is "125", 12550 is "125.5", 5 is "0.05": X12 drops trailing zeros.
    public static func text(_ value: Int64, digits: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let magnitude = value.magnitude
        var fraction = String(magnitude % UInt64(scale))
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return (value < 0 ? "-" : "") + String(magnitude / UInt64(scale)) + (fraction.isEmpty ? "" : "." + fraction)
    }
}

/// X12 dates: D8 is CCYYMMDD, RD8 is CCYYMMDD-CCYYMMDD (the start is taken).
enum ClearinghouseDate {
    static func calendarDate(_ text: String) -> CalendarDate? {
        let digits = Array(text.prefix(8))
        guard digits.count == 8, digits.allSatisfy(\.isNumber),
              let year = Int(String(digits[0..<4])), let month = Int(String(digits[4..<6])), let day = Int(String(digits[6..<8]))
        else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }

    static func text(_ date: CalendarDate) -> String {
        String(date.description.filter { $0 != "-" })
    }
}
