import Contracts
import X12

/// What a 271 said: the payer, any request-level rejections, and each subscriber or dependent it answered for.
public struct EligibilityResult: Equatable, Sendable {
    /// 2100A NM103/NM109.
    public var payerName: String
    public var payerId: String
    /// AAA of the payer (2100A) or the provider (2100B) levels: the whole inquiry was refused.
    public var rejections: [EligibilityRejection]
    public var members: [EligibilityMember]
    /// Count and control-number problems of the envelope: the content is read anyway, as payers send such files.
    public var envelopeErrors: [X12Error]
}

public enum EligibilityStatus: String, Hashable, Sendable {
    /// EB01 1–5.
    case active
    /// EB01 6–8.
    case inactive
    /// The payer refused the inquiry for this person (AAA).
    case rejected
    /// Neither: no EB01 that says.
    case unknown
}

/// One person of the answer: 2000C (subscriber) or 2000D (dependent).
public struct EligibilityMember: Hashable, Sendable {
    public var isDependent: Bool
    public var name: PersonName?
    /// NM109 of 2100C (the dependent level has none: the subscriber's applies).
    public var memberId: String?
    public var dateOfBirth: CalendarDate?
    /// TRN02 of the inquiry the provider sent, echoed back.
    public var traceNumber: String?
    public var status: EligibilityStatus
    /// AAA of this level and of its benefits.
    public var rejections: [EligibilityRejection]
    /// Every EB, in file order, with its MSG texts.
    public var benefits: [EligibilityBenefit]

    public var found: Bool { rejections.isEmpty }
}

/// AAA: "Y**72*C" is a valid request, invalid member id, please correct and resubmit.
public struct EligibilityRejection: Hashable, Sendable {
    /// AAA01: the request itself was valid (Y) or not (N).
    public var validRequest: Bool
    /// AAA03.
    public var reasonCode: String
    /// AAA04.
    public var followUpCode: String
    /// 2100A payer, 2100B provider, 2100C subscriber, 2100D dependent, 2110C/2110D a benefit.
    public var loop: String

    public var reason: String { Self.reasons[reasonCode] ?? "rejection reason \(reasonCode)" }
    public var followUp: String { Self.followUps[followUpCode] ?? followUpCode }

    /// AAA03 (005010X279A1), the codes a dental or medical practice meets.
    static let reasons: [String: String] = [
        "04": "authorized quantity exceeded", "15": "required application data missing",
        "41": "authorization/access restrictions", "42": "the payer cannot respond now",
        "43": "invalid or missing provider identification", "44": "invalid or missing provider name",
        "45": "invalid or missing provider specialty", "50": "provider ineligible for inquiries",
        "51": "provider not on file", "52": "service dates not within provider plan enrollment",
        "53": "inquired benefit inconsistent with provider type", "56": "inappropriate date",
        "57": "invalid or missing date of service", "58": "invalid or missing date of birth",
        "60": "date of birth follows date of service", "62": "date of service not within allowable inquiry period",
        "63": "date of service in the future", "64": "invalid or missing patient id", "65": "invalid or missing patient name",
        "67": "patient not found", "68": "duplicate patient id", "71": "patient birth date does not match the payer's",
        "72": "invalid or missing subscriber/member id", "73": "invalid or missing subscriber name",
        "75": "subscriber not found", "76": "duplicate subscriber id", "77": "subscriber found, patient not found",
        "78": "subscriber not in the group/plan", "79": "invalid participant identification",
        "80": "no response received, transaction terminated", "T4": "payer name or identifier missing",
    ]
    /// AAA04.
    static let followUps: [String: String] = [
        "C": "please correct and resubmit", "N": "resubmission not allowed", "P": "please resubmit the original transaction",
        "R": "resubmission allowed", "S": "do not resubmit; the payer asks a third party",
        "W": "please wait 30 days and resubmit", "X": "please wait 10 days and resubmit",
        "Y": "do not resubmit; the payer will answer",
    ]
}

/// One EB segment (loop 2110C/2110D) and the MSG texts after it.
public struct EligibilityBenefit: Hashable, Sendable {
    /// EB01: 1 active, 6 inactive, A coinsurance, B co-payment, C deductible, F limitation/maximum…
    public var code: String
    /// EB02: IND individual, FAM family…
    public var coverageLevel: String?
    /// EB03 repetitions: 35 dental care, 23 diagnostic dental, 41 routine preventive dental…
    public var serviceTypes: [String]
    /// EB04 and EB05.
    public var insuranceType: String?
    public var planDescription: String?
    /// EB06: 23 calendar year, 22 service year, 29 remaining, 32 lifetime, 33 lifetime remaining, 27 visit…
    public var timePeriod: String?
    /// EB07 in minor units.
    public var amount: Int64?
    /// EB08 as a whole percent (".20" is 20); `percentText` keeps what was written.
    public var percent: Int?
    public var percentText: String?
    /// EB12: Y in network, N out of network, nil not said (or W, not applicable).
    public var inNetwork: Bool?
    public var messages: [String]

    public var meaning: String { Self.codes[code] ?? "benefit \(code)" }

    static let codes: [String: String] = [
        "1": "active coverage", "2": "active, full risk capitation", "3": "active, services capitated",
        "4": "active, capitated to primary care physician", "5": "active, pending investigation", "6": "inactive",
        "7": "inactive, pending eligibility update", "8": "inactive, pending investigation", "A": "coinsurance",
        "B": "co-payment", "C": "deductible", "D": "benefit description", "E": "exclusions", "F": "limitations",
        "G": "out of pocket (stop loss)", "I": "non-covered", "L": "primary care provider", "P": "benefit disclaimer",
        "R": "other or additional payer", "U": "contact the following entity for benefit information", "V": "cannot process",
    ]
}

public enum EligibilityResponseReader {
    /// Reads the first 271 of `text`. Envelope problems do not stop it: they are listed in `envelopeErrors`.
    public static func read(_ text: String) throws(X12Error) -> EligibilityResult {
        let interchange = try X12Interchange.parse(text, validatingEnvelope: false)
        guard let set = interchange.transactionSets.first(where: { $0.id == "271" }) else {
            throw .unexpectedSegment(segment: 1, id: "ST", reason: "the interchange holds no 271 transaction set")
        }
        var result = read(set)
        result.envelopeErrors = interchange.envelopeErrors()
        return result
    }

    public static func read(_ set: X12TransactionSet) -> EligibilityResult {
        var result = EligibilityResult(payerName: "", payerId: "", rejections: [], members: [], envelopeErrors: [])
        for level in set.hierarchicalLevels {
            switch level.levelCode {
            case "20", "21":
                let loop = level.levelCode == "20" ? "2100A" : "2100B"
                for segment in level.segments {
                    if segment.id == "NM1", segment[1] == "PR" { (result.payerName, result.payerId) = (segment[3], segment[9]) }
                    if segment.id == "AAA" { result.rejections.append(rejection(segment, loop: loop)) }
                }
            case "22", "23":
                result.members.append(member(level.segments.dropFirst(), dependent: level.levelCode == "23"))
            default:
                break
            }
        }
        return result
    }

    /// The segments of a 2000C/2000D after its HL: name, demographics, AAA, then EB loops. Inside LS…LE
    /// (2120, a benefit's related entity) NM1 names a provider, not the member.
    static func member(_ segments: ArraySlice<X12Segment>, dependent: Bool) -> EligibilityMember {
        var member = EligibilityMember(
            isDependent: dependent, name: nil, memberId: nil, dateOfBirth: nil, traceNumber: nil, status: .unknown,
            rejections: [], benefits: [])
        var inRelatedEntity = false
        for segment in segments {
            switch segment.id {
            case "LS": inRelatedEntity = true
            case "LE": inRelatedEntity = false
            case "TRN" where member.traceNumber == nil: member.traceNumber = segment[2]
            case "NM1" where !inRelatedEntity && member.benefits.isEmpty:
                member.name = ClaimFileReader.personName(segment)
                member.memberId = segment[9].isEmpty ? nil : segment[9]
            case "DMG" where segment[1] == "D8": member.dateOfBirth = ClearinghouseDate.calendarDate(segment[2])
            case "AAA":
                let loop = (member.benefits.isEmpty ? "2100" : "2110") + (dependent ? "D" : "C")
                member.rejections.append(rejection(segment, loop: loop))
            case "EB": member.benefits.append(benefit(segment))
            case "MSG" where !member.benefits.isEmpty: member.benefits[member.benefits.count - 1].messages.append(segment[1])
            default: break
            }
        }
        let codes = Set(member.benefits.map(\.code))
        if !codes.isDisjoint(with: ["1", "2", "3", "4", "5"]) {
            member.status = .active
        } else if !codes.isDisjoint(with: ["6", "7", "8"]) {
            member.status = .inactive
        } else if !member.rejections.isEmpty {
            member.status = .rejected
        }
        return member
    }

    static func benefit(_ eb: X12Segment) -> EligibilityBenefit {
        func optional(_ position: Int) -> String? { eb[position].isEmpty ? nil : eb[position] }
        let percent = ClearinghouseDecimal.scaled(eb[8], digits: 2)
        return EligibilityBenefit(
            code: eb[1], coverageLevel: optional(2), serviceTypes: eb.repetitions(3), insuranceType: optional(4),
            planDescription: optional(5), timePeriod: optional(6), amount: ClearinghouseDecimal.scaled(eb[7], digits: 2),
            percent: percent.map { Int($0) }, percentText: optional(8),
            inNetwork: eb[12] == "Y" ? true : eb[12] == "N" ? false : nil, messages: [])
    }

    static func rejection(_ aaa: X12Segment, loop: String) -> EligibilityRejection {
        EligibilityRejection(validRequest: aaa[1] == "Y", reasonCode: aaa[3], followUpCode: aaa[4], loop: loop)
    }
}

extension EligibilityMember {
    /// Dental service types (EB03) by the benefit category names plans and estimates use.
    static let dentalCategories: [String: String] = [
        "23": "diagnostic", "41": "preventive", "24": "basic", "25": "basic", "26": "basic", "40": "basic",
        "36": "major", "27": "major", "39": "major", "38": "orthodontics",
    ]

    /// What matters for estimates, in `currency`: deductibles and maximums with what is used of them
    /// (total − remaining), coverage percent by dental category (100 − the patient's coinsurance), co-pay.
    /// In-network benefits win over unspecified ones, which win over out-of-network ones.
    public func planBenefits(currency: String = "USD") -> PlanBenefits {
        func money(_ amount: Int64?) -> Money? { amount.map { Money(amount: $0, currency: currency) } }
        func used(_ total: Int64?, _ remaining: Int64?) -> Money? {
            guard let total, let remaining else { return nil }
            return money(max(0, total - remaining))
        }
        let ordered = benefits.enumerated().sorted { a, b in
            (rank(a.element), a.offset) < (rank(b.element), b.offset)
        }.map(\.element)
        func amount(_ code: String, family: Bool, periods: Set<String>, ortho: Bool = false) -> Int64? {
            ordered.first { benefit in
                benefit.code == code && benefit.amount != nil && (benefit.coverageLevel == "FAM") == family
                    && periods.contains(benefit.timePeriod ?? "") && benefit.serviceTypes.contains("38") == ortho
            }?.amount
        }
        let totals: Set<String> = ["", "21", "22", "23", "24", "25"]
        let remaining: Set<String> = ["29"]
        let deductible = amount("C", family: false, periods: totals), deductibleLeft = amount("C", family: false, periods: remaining)
        let family = amount("C", family: true, periods: totals), familyLeft = amount("C", family: true, periods: remaining)
        let maximum = amount("F", family: false, periods: totals), maximumLeft = amount("F", family: false, periods: remaining)
        let ortho = amount("F", family: false, periods: ["32"], ortho: true)
        let orthoLeft = amount("F", family: false, periods: ["33"], ortho: true)

        var percents: [String: Int] = [:]
        var coinsurance: Int?
        for benefit in ordered where benefit.code == "A" {
            guard let share = benefit.percent else { continue }
            for type in benefit.serviceTypes {
                if let category = Self.dentalCategories[type] {
                    if percents[category] == nil { percents[category] = 100 - share }
                } else if coinsurance == nil {
                    coinsurance = share
                }
            }
        }
        let copay = ordered.first { $0.code == "B" && $0.amount != nil && $0.serviceTypes.contains("98") }
            ?? ordered.first { $0.code == "B" && $0.amount != nil }
        return PlanBenefits(
            annualMaximum: money(maximum), deductible: money(deductible),
            coveragePercentByCategory: percents.isEmpty ? nil : percents, familyDeductible: money(family),
            deductibleMet: used(deductible, deductibleLeft), familyDeductibleMet: used(family, familyLeft),
            annualMaximumUsed: used(maximum, maximumLeft), orthoLifetimeMaximum: money(ortho),
            orthoLifetimeUsed: used(ortho, orthoLeft), copay: money(copay?.amount), coinsurancePercent: coinsurance)
    }

    /// The remaining annual maximum (EB*F with EB06 29), when the payer said.
    public var annualMaximumRemaining: Int64? {
        benefits.sorted { rank($0) < rank($1) }.first {
            $0.code == "F" && $0.timePeriod == "29" && $0.amount != nil && !$0.serviceTypes.contains("38")
        }?.amount
    }

    private func rank(_ benefit: EligibilityBenefit) -> Int {
        switch benefit.inNetwork {
        case true: 0
        case nil: 1
        case false: 2
        }
    }
}
