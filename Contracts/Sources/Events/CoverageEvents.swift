// What the clinic's systems tell insurance about coverage, providers and the practice: everything a claim
// (X12 837) and an eligibility inquiry (270) carry beyond the charge itself.

public enum CoveragePriority: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case primary, secondary, tertiary
}

public enum SubscriberRelationship: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case `self`, spouse, child, other
}

/// Dental coverage is claimed on an 837D with CDT codes, medical on an 837P with CPT/HCPCS and ICD-10.
public enum CoverageKind: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case dental, medical
}

public struct Payer: Codable, Hashable, Sendable {
    /// The payer's id at the clearinghouse (X12 NM109 of loop 2010BB).
    public var payerId: String
    public var name: String
    public init(payerId: String, name: String) {
        self.payerId = payerId
        self.name = name
    }
}

/// The policy holder when the patient is not: a claim names them in loop 2010BA.
public struct Subscriber: Codable, Hashable, Sendable {
    public var name: PersonName
    public var dateOfBirth: CalendarDate?
    public var sex: Sex?
    public var address: PostalAddress?
    public init(name: PersonName, dateOfBirth: CalendarDate? = nil, sex: Sex? = nil, address: PostalAddress? = nil) {
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.address = address
    }
}

/// A service category and what the plan pays for it: dental categories as CDT code ranges
/// ("D0100-D0999" or a single code "D1110").
public struct BenefitCategory: Codable, Hashable, Sendable {
    /// e.g. "diagnostic", "preventive", "basic", "major", "orthodontics".
    public var name: String
    public var codeRanges: [String]
    /// What the plan pays, 0–100.
    public var percent: Int
    /// Absent means the deductible applies (plans usually waive it for diagnostic and preventive).
    public var deductibleApplies: Bool?
    public init(name: String, codeRanges: [String], percent: Int, deductibleApplies: Bool? = nil) {
        self.name = name
        self.codeRanges = codeRanges
        self.percent = percent
        self.deductibleApplies = deductibleApplies
    }
}

/// "Two prophylaxis a year", "bitewings once in 12 months".
public struct FrequencyLimit: Codable, Hashable, Sendable {
    /// Codes or ranges that share the limit, e.g. ["D1110", "D1120"].
    public var codes: [String]
    public var times: Int
    /// A rolling window in months; absent means per benefit year.
    public var periodMonths: Int?
    public init(codes: [String], times: Int, periodMonths: Int? = nil) {
        self.codes = codes
        self.times = times
        self.periodMonths = periodMonths
    }
}

/// Nothing is paid for a category until this many months after the coverage began.
public struct WaitingPeriod: Codable, Hashable, Sendable {
    public var category: String
    public var months: Int
    public init(category: String, months: Int) {
        self.category = category
        self.months = months
    }
}

/// The plan's benefits as the clinic knows them; eligibility responses (271) refine them.
public struct PlanBenefits: Codable, Hashable, Sendable {
    public var annualMaximum: Money?
    /// The individual deductible.
    public var deductible: Money?
    /// What the plan pays, in percent, by service category ("preventive", "basic", "major", …), for
    /// categories given by name only: their CDT ranges are the usual ones.
    public var coveragePercentByCategory: [String: Int]?
    // Added compatibly for estimates and eligibility:
    public var familyDeductible: Money?
    public var deductibleMet: Money?
    public var familyDeductibleMet: Money?
    public var annualMaximumUsed: Money?
    /// Categories with their own code ranges; they win over `coveragePercentByCategory`.
    public var categories: [BenefitCategory]?
    public var frequencyLimits: [FrequencyLimit]?
    public var waitingPeriods: [WaitingPeriod]?
    public var orthoLifetimeMaximum: Money?
    public var orthoLifetimeUsed: Money?
    /// Medical plans: a fixed co-pay per visit.
    public var copay: Money?
    /// Medical plans: the patient's share after the deductible, 0–100.
    public var coinsurancePercent: Int?

    public init(annualMaximum: Money? = nil, deductible: Money? = nil, coveragePercentByCategory: [String: Int]? = nil,
                familyDeductible: Money? = nil, deductibleMet: Money? = nil, familyDeductibleMet: Money? = nil,
                annualMaximumUsed: Money? = nil, categories: [BenefitCategory]? = nil,
                frequencyLimits: [FrequencyLimit]? = nil, waitingPeriods: [WaitingPeriod]? = nil,
                orthoLifetimeMaximum: Money? = nil, orthoLifetimeUsed: Money? = nil, copay: Money? = nil,
                coinsurancePercent: Int? = nil) {
        self.annualMaximum = annualMaximum
        self.deductible = deductible
        self.coveragePercentByCategory = coveragePercentByCategory
        self.familyDeductible = familyDeductible
        self.deductibleMet = deductibleMet
        self.familyDeductibleMet = familyDeductibleMet
        self.annualMaximumUsed = annualMaximumUsed
        self.categories = categories
        self.frequencyLimits = frequencyLimits
        self.waitingPeriods = waitingPeriods
        self.orthoLifetimeMaximum = orthoLifetimeMaximum
        self.orthoLifetimeUsed = orthoLifetimeUsed
        self.copay = copay
        self.coinsurancePercent = coinsurancePercent
    }


    public static let example = PlanBenefits(
        annualMaximum: Money.exampleUSD(150_000), deductible: Money.exampleUSD(5_000),
        coveragePercentByCategory: ["preventive": 100, "basic": 80, "major": 50],
        familyDeductible: Money.exampleUSD(15_000), deductibleMet: Money.exampleUSD(0), familyDeductibleMet: Money.exampleUSD(2_500), annualMaximumUsed: Money.exampleUSD(20_000),
        categories: [
            BenefitCategory(name: "diagnostic", codeRanges: ["D0100-D0999"], percent: 100, deductibleApplies: false),
            BenefitCategory(name: "preventive", codeRanges: ["D1000-D1999"], percent: 100, deductibleApplies: false),
            BenefitCategory(name: "basic", codeRanges: ["D2000-D2399", "D3000-D3999", "D4000-D4999", "D7000-D7999"],
                            percent: 80, deductibleApplies: true),
            BenefitCategory(name: "major", codeRanges: ["D2400-D2999", "D5000-D6999"], percent: 50, deductibleApplies: true),
            BenefitCategory(name: "orthodontics", codeRanges: ["D8000-D8999"], percent: 50, deductibleApplies: false),
        ],
        frequencyLimits: [FrequencyLimit(codes: ["D0272", "D0274"], times: 1, periodMonths: 12),
                          FrequencyLimit(codes: ["D1110", "D1120"], times: 2)],
        waitingPeriods: [WaitingPeriod(category: "major", months: 12)],
        orthoLifetimeMaximum: Money.exampleUSD(150_000), orthoLifetimeUsed: Money.exampleUSD(0), copay: Money.exampleUSD(2_500), coinsurancePercent: 20)
}

/// A patient's insurance coverage was added or changed.
public struct CoverageUpdated: ClinicEvent {
    public static let type = EventType("clinic.coverage.updated", version: 1)
    public static let summary = "A clinic system added or changed a patient's insurance coverage."
    public var coverageId: String
    public var patientId: String
    public var payer: Payer
    public var memberId: String
    public var groupNumber: String?
    public var priority: CoveragePriority
    public var subscriberRelationship: SubscriberRelationship
    public var effectiveDate: CalendarDate
    public var terminationDate: CalendarDate?
    public var benefits: PlanBenefits?
    // Added compatibly:
    /// Absent means dental.
    public var kind: CoverageKind?
    /// Required when the relationship is not `self`: a claim names the policy holder.
    public var subscriber: Subscriber?
    /// The month (1–12) the benefit year starts: deductibles, maximums and yearly limits reset then. Absent means January.
    public var planYearStartMonth: Int?

    public init(coverageId: String, patientId: String, payer: Payer, memberId: String, groupNumber: String? = nil,
                priority: CoveragePriority, subscriberRelationship: SubscriberRelationship, effectiveDate: CalendarDate,
                terminationDate: CalendarDate? = nil, benefits: PlanBenefits? = nil, kind: CoverageKind? = nil,
                subscriber: Subscriber? = nil, planYearStartMonth: Int? = nil) {
        self.coverageId = coverageId
        self.patientId = patientId
        self.payer = payer
        self.memberId = memberId
        self.groupNumber = groupNumber
        self.priority = priority
        self.subscriberRelationship = subscriberRelationship
        self.effectiveDate = effectiveDate
        self.terminationDate = terminationDate
        self.benefits = benefits
        self.kind = kind
        self.subscriber = subscriber
        self.planYearStartMonth = planYearStartMonth
    }

    public static let example = CoverageUpdated(
        coverageId: "cov-77", patientId: "pat-1001", payer: Payer(payerId: "60054", name: "Aetna Dental"),
        memberId: "W123456789", groupNumber: "GRP-4411", priority: .primary, subscriberRelationship: .spouse,
        effectiveDate: CalendarDate(year: 2026, month: 1, day: 1)!,
        terminationDate: CalendarDate(year: 2026, month: 12, day: 31),
        benefits: .example, kind: .dental,
        subscriber: Subscriber(
            name: PersonName(given: "Luis", family: "Lopez"), dateOfBirth: CalendarDate(year: 1984, month: 9, day: 3),
            sex: .male,
            address: PostalAddress(lines: ["12 Elm St"], city: "Springfield", region: "IL", postalCode: "62701", country: "US")),
        planYearStartMonth: 1)
}

/// A treating (rendering) provider's identity as claims name it.
public struct ProviderUpdated: ClinicEvent {
    public static let type = EventType("clinic.provider.updated", version: 1)
    public static let summary = "A clinic system added or changed a provider: name, NPI and taxonomy, as claims name the rendering provider."
    public var providerId: String
    public var name: PersonName
    /// Type 1 (individual) National Provider Identifier, 10 digits.
    public var npi: String
    /// NUCC health care provider taxonomy code, e.g. "1223G0001X" (general practice dentistry).
    public var taxonomyCode: String
    public var stateLicense: String?

    public init(providerId: String, name: PersonName, npi: String, taxonomyCode: String, stateLicense: String? = nil) {
        self.providerId = providerId
        self.name = name
        self.npi = npi
        self.taxonomyCode = taxonomyCode
        self.stateLicense = stateLicense
    }

    public static let example = ProviderUpdated(
        providerId: "prov-12", name: PersonName(given: "Maya", family: "Chen"), npi: "1234567893",
        taxonomyCode: "1223G0001X", stateLicense: "IL-19-004411")
}

/// The practice as the billing provider of its claims; one per clinic (the envelope's clinic id).
public struct PracticeUpdated: ClinicEvent {
    public static let type = EventType("clinic.practice.updated", version: 1)
    public static let summary = "A clinic system set the practice's billing identity: name, billing NPI, tax id, addresses, zone."
    public var name: String
    /// Type 2 (organisation) NPI of the billing provider.
    public var billingNpi: String
    /// Employer identification number, 9 digits.
    public var taxId: String
    /// A street address (not a post-office box): loop 2010AA.
    public var address: PostalAddress
    /// Where payers send checks, when not the street address: loop 2010AB.
    public var payToAddress: PostalAddress?
    public var phone: String?
    public var taxonomyCode: String?
    /// IANA zone of the practice, e.g. "America/Chicago".
    public var timeZone: String?

    public init(name: String, billingNpi: String, taxId: String, address: PostalAddress, payToAddress: PostalAddress? = nil,
                phone: String? = nil, taxonomyCode: String? = nil, timeZone: String? = nil) {
        self.name = name
        self.billingNpi = billingNpi
        self.taxId = taxId
        self.address = address
        self.payToAddress = payToAddress
        self.phone = phone
        self.taxonomyCode = taxonomyCode
        self.timeZone = timeZone
    }

    public static let example = PracticeUpdated(
        name: "Springfield Family Dental", billingNpi: "1245319599", taxId: "371234567",
        address: PostalAddress(lines: ["400 Main St"], city: "Springfield", region: "IL", postalCode: "627011234", country: "US"),
        payToAddress: PostalAddress(lines: ["PO Box 88"], city: "Springfield", region: "IL", postalCode: "627050088", country: "US"),
        phone: "2175550100", taxonomyCode: "1223G0001X", timeZone: "America/Chicago")
}
