import Contracts
import X12

// StructureCheck: a structural checker for the 837D (005010X224A2) and the 270 (005010X279A1), written
// from the implementation guides because no third-party validator we can run has maps for them. It checks
// what a clearinghouse's 999 would reject on, not the payer's business rules. Per transaction set:
//
// Both guides
// - the envelope: the text parses; SE01 equals the segments counted from ST to SE; SE02 equals ST02;
//   ST03 names the guide of the set (and GS08 the same); the guide is one this checker knows; GE01/GE02 and
//   IEA01/IEA02 agree with the group and the interchange.
// - only segments the guide uses appear; the BHT comes first (BHT01 0019 for the 837D, 0022 for the 270;
//   BHT02 00/18 or 01/13; BHT03 1–50 characters; BHT04 a real CCYYMMDD date; BHT05 HHMM[SS];
//   837D BHT06 31, CH or RP).
// - the HL hierarchy: HL01 is 1, 2, 3… in order; HL03 is a level the guide has (837D 20, 22, 23; 270 20,
//   21, 22, 23); HL02 is empty at level 20 and otherwise names an earlier HL of the parent level
//   (837D 22→20, 23→22; 270 21→20, 22→21, 23→22); HL04 is 1 exactly when a child HL names this one.
// - element formats wherever the segment appears: dates (DTP D8/RD8, DMG D8) are real dates; NM1 NM102 is
//   1 or 2, NM108 and NM109 come together, an NM109 with qualifier XX is an NPI (10 digits, Luhn check
//   digit over 80840 + the first nine); maximum lengths of NM103 (60), NM104 (35), NM105 (25), NM109 (80), N301/N302
//   (55), N401 (2–30), N402 (2), N403 (3–15), REF01 (2–3), REF02 (50), PER02 (60); PER01 IC with each
//   PER03/05/07 TE, EM, FX or EX and its number; PRV02 PXC with a 10-character taxonomy; DMG01 D8; DMG03 F, M or U.
//
// 837D
// - header loops: 1000A (NM1*41 with NM108 46, then PER*IC) and 1000B (NM1*40 with NM108 46) before the first HL.
// - 2000A (HL 20) has 2010AA: NM1*85 (NM108 XX), N3, N4 and REF*EI (or SY) with 9 digits.
// - 2000B (HL 22) starts with SBR (SBR01 P/S/T/A–H/U, SBR02 18 or empty, SBR09 from its code list) and has
//   2010BA (NM1*IL) then 2010BB (NM1*PR, NM108 PI or XV); 2000C (HL 23) starts with PAT (PAT01 from its
//   list) and has 2010CA (NM1*QC).
// - claims (CLM) sit under the lowest level: an HL 22 with HL04 0 or an HL 23; each such HL has a claim.
// - 2300: CLM01 1–38 characters; CLM02 an amount; CLM05 is place of service (2 digits):B:frequency (1, 7
//   or 8); CLM06 Y/N; CLM07 A/B/C; CLM08 N/W/Y; CLM09 I/Y; CLM19 empty or PB; a frequency 7 or 8 has
//   REF*F8; HI codes are ABK/BK first then ABF/BF, at most 4.
// - 2400: at least one per claim; LX numbered 1..n within the claim; SV3 right after LX with SV301 AD and a
//   CDT code (D + 4 digits) and SV302 an amount; TOO01 JP, TOO02 a tooth (1–32, 51–82, A–T, AS–TS),
//   TOO03 at most 5 surfaces from B D F I L M O; SV311 pointers within the claim's diagnoses.
// - CLM02 equals the sum of the lines' SV302.
// - a predetermination (CLM19 PB) has no DTP*472; any other claim has DTP*472 on the claim or on every line.
//
// 270
// - 2000A (HL 20) then 2100A NM1 (NM101 PR/2B/36/GP/P5, NM108 24/46/FI/NI/PI/XV/XX); 2000B (HL 21) then
//   2100B NM1 (NM101 1P/2B/36/80/FA/GP/P5/PR, NM108 24/34/46/FI/PI/PP/SV/XV/XX); 2000C (HL 22) with NM1*IL;
//   2000D (HL 23) with NM1*03 and no NM108/NM109.
// - the BHT is followed by the payer's HL; TRN comes before the NM1 of its level.
// - the patient's loop (2000C when HL04 is 0, else 2000D) has TRN and at least one EQ; a 2000C with
//   dependents has neither. TRN01 1, TRN02 1–50, TRN03 10 characters starting 1, 3 or 9; EQ has EQ01 (each
//   repetition a 1–2 character service type code) or EQ02; DTP01 is 102 or 291.
//
// Amounts everywhere they are checked: optional minus, digits, at most 2 decimals, at most 18 characters.

/// One thing wrong with a transaction set: where (1-based segment position in the file; the ISA is 1) and what.
public struct StructureFinding: Hashable, Sendable, CustomStringConvertible {
    public var position: Int
    public var segmentID: String
    public var message: String

    public init(position: Int, segmentID: String, message: String) {
        self.position = position
        self.segmentID = segmentID
        self.message = message
    }

    /// Envelope errors carry their own "segment N (ID):" and have no `segmentID`.
    public var description: String { segmentID.isEmpty ? message : "segment \(position) (\(segmentID)): \(message)" }
}

public enum StructureCheck {
    /// Findings for every transaction set in `text`; [] when it is clean.
    public static func check(_ text: String) -> [StructureFinding] {
        do {
            // Counts are checked below, set by set, so a wrong SE01 does not hide the rest.
            return check(try X12Interchange.parse(text, validatingEnvelope: false))
        } catch {
            return [StructureFinding(position: error.segment ?? 1, segmentID: "", message: error.description)]
        }
    }

    public static func check(_ interchange: X12Interchange) -> [StructureFinding] {
        // GE and IEA counts and control numbers; the sets' own SE01/SE02 are reported with the set.
        var findings: [StructureFinding] = interchange.envelopeErrors().compactMap { error in
            switch error {
            case .countMismatch(_, "SE01", _, _), .controlNumberMismatch(_, "SE02", _, _, _): nil
            default: StructureFinding(position: error.segment ?? 1, segmentID: "", message: error.description)
            }
        }
        for group in interchange.functionalGroups {
            for set in group.transactionSets {
                findings += check(set, groupVersion: group.version)
            }
        }
        return findings
    }

    static func check(_ set: X12TransactionSet, groupVersion: String) -> [StructureFinding] {
        var report = StructureReport(transactionSet: set)
        let guide = set.implementationConvention ?? ""
        if guide != groupVersion {
            report.add(-1, "ST03 \"\(guide)\" differs from GS08 \"\(groupVersion)\"")
        }
        if set.trailer[1] != String(set.segments.count + 2) {
            report.add(set.segments.count, "SE01 says \(set.trailer[1]) but the set has \(set.segments.count + 2) segments (ST to SE)")
        }
        if set.trailer[2] != set.controlNumber {
            report.add(set.segments.count, "SE02 \"\(set.trailer[2])\" differs from ST02 \"\(set.controlNumber)\"")
        }
        switch (set.id, guide) {
        case ("837", ClaimFile.dentalGuide): StructureRules837D.check(&report)
        case ("270", EligibilityInquiry.guide): StructureRules270.check(&report)
        default: report.add(-1, "no structure rules for ST01 \(set.id) with guide \"\(guide)\" (this checker knows 837 \(ClaimFile.dentalGuide) and 270 \(EligibilityInquiry.guide))")
        }
        return report.findings
    }
}

/// The findings of one set, and what the rules share: positions, element formats and the HL hierarchy.
struct StructureReport {
    let transactionSet: X12TransactionSet
    var findings: [StructureFinding] = []

    var segments: [X12Segment] { transactionSet.segments }

    /// `index` into `segments`; -1 is the ST and `segments.count` the SE.
    mutating func add(_ index: Int, _ message: String) {
        let id = index < 0 ? "ST" : index >= segments.count ? "SE" : segments[index].id
        findings.append(StructureFinding(position: transactionSet.position(ofSegmentAt: index), segmentID: id, message: message))
    }

    mutating func require(_ index: Int, _ ok: Bool, _ message: String) {
        if !ok { add(index, message) }
    }

    /// Element `position` is one of `codes` (an empty element passes unless `required`).
    mutating func code(_ index: Int, _ position: Int, _ codes: Set<String>, required: Bool = true) {
        let segment = segments[index], value = segment[position]
        let name = segment.id + StructureReport.two(position)
        if value.isEmpty {
            if required { add(index, "\(name) is required") }
        } else if !codes.contains(value) {
            add(index, "\(name) \"\(value)\" is not one of \(codes.sorted().joined(separator: ", "))")
        }
    }

    /// Element `position` has `range` characters (an empty element passes unless the range starts above 0).
    mutating func length(_ index: Int, _ position: Int, _ range: ClosedRange<Int>, component: Int? = nil) {
        let segment = segments[index]
        let value = component.map { segment.component(position, $0) } ?? segment[position]
        let count = value.unicodeScalars.count
        guard count > 0 || range.lowerBound > 0 else { return }
        if !range.contains(count) {
            let name = segment.id + StructureReport.two(position) + (component.map { "-\($0)" } ?? "")
            add(index, "\(name) \"\(value)\" must be \(range.lowerBound) to \(range.upperBound) characters")
        }
    }

    mutating func amount(_ index: Int, _ position: Int) {
        let segment = segments[index], value = segment[position]
        if StructureReport.minorUnits(value) == nil {
            add(index, "\(segment.id)\(StructureReport.two(position)) \"\(value)\" is not an amount (digits, at most 2 decimals)")
        }
    }

    /// An X12 amount in cents: "-", digits, at most 2 decimals, at most 18 characters.
    static func minorUnits(_ text: String) -> Int64? {
        guard !text.isEmpty, text.count <= 18 else { return nil }
        var body = Substring(text)
        let negative = body.hasPrefix("-")
        if negative { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !(whole.isEmpty && parts.count == 1),
              whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 2, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber),
              parts.count == 1 || !fraction.isEmpty else { return nil }
        while fraction.count < 2 { fraction += "0" }
        guard let units = Int64((whole.isEmpty ? "0" : String(whole)) + fraction) else { return nil }
        return negative ? -units : units
    }

    /// CCYYMMDD that names a real day.
    static func isDate(_ text: String) -> Bool {
        guard text.count == 8, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else { return false }
        let digits = Array(text)
        guard let y = Int(String(digits[0..<4])), let m = Int(String(digits[4..<6])), let d = Int(String(digits[6..<8]))
        else { return false }
        return CalendarDate(year: y, month: m, day: d) != nil
    }

    /// HHMM, HHMMSS or HHMMSSD…: a real time of day.
    static func isTime(_ text: String) -> Bool {
        guard (4...8).contains(text.count), text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else { return false }
        let digits = Array(text)
        guard let h = Int(String(digits[0..<2])), let m = Int(String(digits[2..<4])), h < 24, m < 60 else { return false }
        if digits.count >= 6, let s = Int(String(digits[4..<6])), s >= 60 { return false }
        return true
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
