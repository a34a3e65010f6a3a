import Contracts
import X12

/// Writes the 271 (005010X279A1) that answers one 270 from what a member book says about the member.
public enum EligibilityAnswer {
    /// Dental benefit categories by the EB03 service type a 271 reports them under.
    static let serviceTypes: [String: String] = [
        "diagnostic": "23", "preventive": "41", "basic": "25", "periodontics": "24", "endodontics": "26",
        "oral surgery": "40", "major": "36", "prosthodontics": "39", "orthodontics": "38",
    ]

    /// The segments between ST and SE: the 270's levels echoed (payer, provider, subscriber, dependent), with
    /// TRN, name, DMG and EBs (or AAA) at the level the inquiry is about. `normalisedIdKnown` says that the
    /// member id is unknown as written but known in another form (AAA 72 rather than 75).
    public static func segments(
        answering inquiry: X12TransactionSet, member: SimulatedMember?, normalisedIdKnown: Bool = false,
        date: CalendarDate, time: String
    ) -> [X12Segment] {
        var out = [seg("BHT", "0022", "11", inquiry.segments.first { $0.id == "BHT" }?[3] ?? inquiry.controlNumber,
                       ClearinghouseDate.text(date), time)]
        let levels = inquiry.hierarchicalLevels
        for level in levels {
            let hl = level.segments.first!
            let nm1 = level.segments.first { $0.id == "NM1" }
            let trn = level.segments.first { $0.id == "TRN" }
            out.append(hl)
            let isPatient = (level.levelCode == "22" && !level.hasChildren) || level.levelCode == "23"
            switch level.levelCode {
            case "20", "21":
                if let nm1 { out.append(nm1) }
            case "22" where !isPatient:
                out.append(subscriberName(nm1, member: member))
            case "22", "23":
                if let trn { out.append(seg("TRN", "2", trn[2], trn[3])) }
                if level.levelCode == "22" {
                    out.append(subscriberName(nm1, member: member))
                } else if let nm1 {
                    out.append(nm1)
                }
                guard let member else {
                    let empty = (levels.first { $0.levelCode == "22" }?.segments.first { $0.id == "NM1" }?[9] ?? "").isEmpty
                    out.append(seg("AAA", "Y", "", empty || normalisedIdKnown ? "72" : "75", "C"))
                    continue
                }
                if level.levelCode == "22", let dob = member.dateOfBirth {
                    out.append(seg("DMG", "D8", ClearinghouseDate.text(dob)))
                }
                out += benefits(member)
            default:
                break
            }
        }
        return out
    }

    /// NM1*IL as the payer knows the subscriber, or as the inquiry wrote it when unknown.
    static func subscriberName(_ asked: X12Segment?, member: SimulatedMember?) -> X12Segment {
        guard let member else { return asked ?? seg("NM1", "IL", "1") }
        return seg("NM1", "IL", "1", member.name.family, member.name.given, "", "", "", "MI", member.memberId)
    }

    /// EB loops: coverage (1/6), deductibles and maximums with what remains (EB06 29), coinsurance per dental
    /// category (the patient's share, EB08 as a fraction), co-pay per office visit.
    static func benefits(_ member: SimulatedMember) -> [X12Segment] {
        let general = member.kind == .dental ? "35" : "30"
        var out = [seg("EB", member.active ? "1" : "6", "", general, "", member.planName ?? "")]
        guard member.active else { return out }
        let b = member.benefits
        func amounts(_ code: String, _ level: String, _ type: String, total: Money?, used: Money?, periods: (String, String)) {
            guard let total else { return }
            out.append(seg("EB", code, level, type, "", "", periods.0, money(total.amount)))
            if let used { out.append(seg("EB", code, level, type, "", "", periods.1, money(max(0, total.amount - used.amount)))) }
        }
        amounts("C", "IND", general, total: b.deductible, used: b.deductibleMet, periods: ("23", "29"))
        amounts("C", "FAM", general, total: b.familyDeductible, used: b.familyDeductibleMet, periods: ("23", "29"))
        amounts("F", "IND", general, total: b.annualMaximum, used: b.annualMaximumUsed, periods: ("23", "29"))
        amounts("F", "IND", "38", total: b.orthoLifetimeMaximum, used: b.orthoLifetimeUsed, periods: ("32", "33"))
        var percents = b.coveragePercentByCategory ?? [:]
        for category in b.categories ?? [] { percents[category.name] = category.percent }
        for name in percents.keys.sorted() {
            guard let type = serviceTypes[name], let percent = percents[name] else { continue }
            out.append(seg("EB", "A", "IND", type, "", "", "", "", share(100 - percent)))
        }
        if let coinsurance = b.coinsurancePercent, member.kind == .medical {
            out.append(seg("EB", "A", "IND", "30", "", "", "", "", share(coinsurance)))
        }
        if let copay = b.copay, member.kind == .medical {
            out.append(seg("EB", "B", "IND", "98", "", "", "27", money(copay.amount)))
        }
        return out
    }

    /// 20 (percent) is "0.2": EB08 is a fraction.
    static func share(_ percent: Int) -> String { ClearinghouseDecimal.text(Int64(percent), digits: 2) }
    static func money(_ cents: Int64) -> String { ClearinghouseDecimal.text(cents, digits: 2) }
    static func seg(_ id: String, _ values: String...) -> X12Segment { X12Segment(id, values.map { X12Element($0) }) }
}
