import Contracts
import Foundation
import InsuranceService

/// A practice's claim load, the same in every run (a seeded generator): patients with dental or medical coverage,
/// one visit each with one to three charges as payments records them, each patient's earlier claimed services,
/// the practice's fee schedule and its adjudicated history (for the denial risk). About one visit in a hundred
/// lacks something a person must add (a tooth, a diagnosis): the scrubber holds it, as it would in a practice.
struct ClaimLoad {
    struct Visit {
        var charges: [ChargeRecorded]
        var coverage: CoverageUpdated
        var parties: ClaimParties
        /// The patient's earlier claimed services (frequency limits).
        var history: [(code: String, date: CalendarDate)]
    }

    static let clinicId = "clinic-bench"
    let now: Date
    let today: CalendarDate
    let visits: [Visit]
    let feeSchedule: [PracticeFeeEntry]
    /// The denial-risk model of the practice's adjudicated history (built once, as the service does per batch).
    let risk: DenialRiskModel

    /// - Parameters:
    ///   - medicalPercent: the share of patients with medical (837P) rather than dental (837D) coverage.
    ///   - outcomes: rows of the practice's adjudicated history.
    init(visits count: Int, medicalPercent: Int, outcomes outcomeCount: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let now = Date(), today = CalendarDate(containing: now, in: "America/New_York")
        self.now = now
        self.today = today
        let practice = PracticeUpdated.example
        let providers = [Self.dentist.providerId: Self.dentist, Self.physician.providerId: Self.physician]
        var visits: [Visit] = []
        visits.reserveCapacity(count)
        for n in 0..<count {
            let medical = Int.random(in: 0..<100, using: &random) < medicalPercent
            let patient = Self.patient(n, &random)
            let coverage = Self.coverage(n, patient: patient, medical: medical, today: today, &random)
            let serviceDate = Self.day(today, minus: Int.random(in: 1...30, using: &random))
            let template = (medical ? Self.medicalVisits : Self.dentalVisits).randomElement(using: &random)!
            let incomplete = Int.random(in: 0..<100, using: &random) == 0
            // Practices send ICD-10 codes with their dot about half of the time: a fix the scrubber applies.
            let dotted = Bool.random(using: &random)
            let charges = template.enumerated().map { offset, item in
                var procedure = Procedure(code: item.code, codeSystem: medical ? .cpt : .cdt, description: Self.words[item.code])
                if item.tooth {
                    let tooth = Self.posteriorTeeth.randomElement(using: &random)!
                    procedure.tooth = incomplete ? nil : tooth
                    procedure.surfaces = item.surfaces
                }
                let diagnoses = incomplete && medical ? [] : item.diagnoses.map { dotted ? $0 : $0.replacingOccurrences(of: ".", with: "") }
                return ChargeRecorded(
                    chargeId: "chg-\(n)-\(offset)", patientId: patient.patientId,
                    providerId: medical ? Self.physician.providerId : Self.dentist.providerId, serviceDate: serviceDate,
                    procedure: procedure, fee: Money(amount: item.fee, currency: "USD"), recordedAt: Timestamp(now),
                    diagnosisCodes: diagnoses.isEmpty ? nil : diagnoses, appointmentId: "appt-\(n)")
            }
            let history: [(code: String, date: CalendarDate)] = medical ? [] : [
                ("D0120", Self.day(today, minus: 180 + n % 30)), ("D1110", Self.day(today, minus: 180 + n % 30)),
                ("D0274", Self.day(today, minus: 400 + n % 30)),
            ]
            visits.append(Visit(
                charges: charges, coverage: coverage,
                parties: ClaimParties(practice: practice, providers: providers, patient: patient, coverage: coverage),
                history: history))
        }
        self.visits = visits
        feeSchedule = Self.words.keys.sorted().map { code in
            PracticeFeeEntry(code: code, description: Self.words[code]!,
                             fee: Money(amount: Self.fees[code] ?? 10_000, currency: "USD"))
        }
        let payers = Self.dentalPayers.map(\.payerId) + Self.medicalPayers.map(\.payerId)
        let codes = Self.words.keys.sorted()
        risk = DenialRiskModel(history: (0..<outcomeCount).map { _ in
            DenialHistoryRow(payerId: payers.randomElement(using: &random)!, procedureCode: codes.randomElement(using: &random)!,
                             denied: Int.random(in: 0..<100, using: &random) < 6)
        })
    }

    /// The visit's claims, as insurance builds them from the recorded charges (one per visit here).
    func claims(of visit: Visit) -> [Claim] {
        ClaimBuilder.claims(clinicId: Self.clinicId, charges: visit.charges, coverage: visit.coverage, parties: visit.parties,
                            at: now) { "clm-\($0)" }
    }

    // MARK: - The practice's people and plans

    static let dentist = ProviderUpdated(providerId: "prov-1", name: PersonName(given: "Maya", family: "Chen"),
                                         npi: "1234567893", taxonomyCode: "1223G0001X")
    /// A family physician; NPI 1245319599 is the practice's own (billing) number, so hers is made with its check digit.
    static let physician = ProviderUpdated(providerId: "prov-2", name: PersonName(given: "Omar", family: "Haddad"),
                                           npi: npi("162837465"), taxonomyCode: "207Q00000X")

    static let dentalPayers = [Payer(payerId: "60054", name: "Aetna Dental"), Payer(payerId: "94276", name: "Delta Dental")]
    static let medicalPayers = [Payer(payerId: "87726", name: "UnitedHealthcare"), Payer(payerId: "62308", name: "Cigna")]

    static let givenNames = ["Ana", "Luis", "Grace", "Tomas", "Priya", "Noah", "Mei", "Jamal", "Elena", "Sam"]
    static let familyNames = ["Lopez", "Nguyen", "Smith", "Okafor", "Kowalski", "Garcia", "Johnson", "Patel", "Brown", "Rossi"]
    static let streets = ["Elm St", "Oak Ave", "Main St", "Lincoln Rd", "Cedar Ln"]

    static func patient(_ n: Int, _ random: inout SplitMix64) -> PatientFacts {
        let address = PostalAddress(lines: ["\(10 + n % 900) \(streets[n % streets.count])"], city: "Springfield", region: "IL",
                                    postalCode: "62701", country: "US")
        return PatientFacts(
            patientId: "pat-\(n)", name: PersonName(given: givenNames.randomElement(using: &random)!,
                                                    family: familyNames.randomElement(using: &random)!),
            dateOfBirth: CalendarDate(year: Int.random(in: 1940...2015, using: &random), month: Int.random(in: 1...12, using: &random),
                                      day: Int.random(in: 1...28, using: &random)),
            sex: Bool.random(using: &random) ? .female : .male, address: address)
    }

    /// Most patients hold their own plan; one in five is covered as a spouse (the claim names the subscriber).
    static func coverage(_ n: Int, patient: PatientFacts, medical: Bool, today: CalendarDate,
                         _ random: inout SplitMix64) -> CoverageUpdated {
        let spouse = Int.random(in: 0..<5, using: &random) == 0
        let payer = (medical ? medicalPayers : dentalPayers).randomElement(using: &random)!
        let benefits = medical
            ? PlanBenefits(deductible: Money(amount: 50_000, currency: "USD"), copay: Money(amount: 2_500, currency: "USD"),
                           coinsurancePercent: 20)
            : PlanBenefits.example
        return CoverageUpdated(
            coverageId: "cov-\(n)", patientId: patient.patientId, payer: payer,
            memberId: "\(medical ? "M" : "W")\(String(format: "%09d", 100_000_000 + n))", groupNumber: "GRP\(4400 + n % 50)",
            priority: .primary, subscriberRelationship: spouse ? .spouse : .self,
            effectiveDate: CalendarDate(year: today.year - 1, month: 1, day: 1)!, benefits: benefits, kind: medical ? .medical : .dental,
            subscriber: spouse ? Subscriber(name: PersonName(given: "Chris", family: patient.name?.family ?? "Doe"),
                                            dateOfBirth: CalendarDate(year: 1975, month: 6, day: 15), sex: .unknown,
                                            address: patient.address) : nil)
    }

    // MARK: - Visits

    struct Item {
        var code: String
        var fee: Int64
        var tooth = false
        var surfaces: [String]? = nil
        var diagnoses: [String] = []
    }

    static let dentalVisits: [[Item]] = [
        [Item(code: "D0120", fee: 6_500), Item(code: "D0274", fee: 7_500), Item(code: "D1110", fee: 11_000)],
        [Item(code: "D0120", fee: 6_500), Item(code: "D1110", fee: 11_000)],
        [Item(code: "D0150", fee: 9_500), Item(code: "D0210", fee: 15_000)],
        [Item(code: "D2392", fee: 18_500, tooth: true, surfaces: ["M", "O"], diagnoses: ["K02.52"])],
        [Item(code: "D2393", fee: 22_000, tooth: true, surfaces: ["M", "O", "D"], diagnoses: ["K02.52"]),
         Item(code: "D0220", fee: 3_000)],
        [Item(code: "D2740", fee: 120_000, tooth: true, diagnoses: ["K03.81"])],
    ]

    static let medicalVisits: [[Item]] = [
        [Item(code: "99213", fee: 12_500, diagnoses: ["J02.9"]), Item(code: "87880", fee: 3_000, diagnoses: ["J02.9", "R50.9"])],
        [Item(code: "99214", fee: 18_000, diagnoses: ["E11.9", "I10"]), Item(code: "36415", fee: 1_500, diagnoses: ["E11.9"]),
         Item(code: "80053", fee: 4_500, diagnoses: ["E11.9"])],
        [Item(code: "99396", fee: 25_000, diagnoses: ["Z00.00"])],
        [Item(code: "99213", fee: 12_500, diagnoses: ["M54.50"]), Item(code: "97110", fee: 6_000, diagnoses: ["M54.50"])],
    ]

    static let posteriorTeeth = ["2", "3", "4", "5", "12", "13", "14", "15", "18", "19", "20", "21", "28", "29", "30", "31"]

    /// The fee schedule's words for each code.
    static let words = [
        "D0120": "Periodic oral evaluation", "D0150": "Comprehensive oral evaluation", "D0210": "Intraoral complete series",
        "D0220": "Intraoral periapical first image", "D0274": "Bitewings - four images", "D1110": "Prophylaxis - adult",
        "D2392": "Resin composite - two surfaces, posterior", "D2393": "Resin composite - three surfaces, posterior",
        "D2740": "Crown - porcelain/ceramic", "99213": "Office visit, established patient, low complexity",
        "99214": "Office visit, established patient, moderate complexity", "99396": "Preventive visit, 40-64 years",
        "87880": "Strep A antigen test", "36415": "Venipuncture", "80053": "Comprehensive metabolic panel",
        "97110": "Therapeutic exercise",
    ]
    static let fees: [String: Int64] = Dictionary(
        (dentalVisits + medicalVisits).joined().map { ($0.code, $0.fee) }, uniquingKeysWith: { first, _ in first })

    static func day(_ today: CalendarDate, minus days: Int) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let start = calendar.date(from: DateComponents(year: today.year, month: today.month, day: today.day))!
        return CalendarDate(containing: calendar.date(byAdding: .day, value: -days, to: start)!, in: "GMT")
    }

    /// A type 1 NPI from its first nine digits: the Luhn check digit over 80840 and those digits.
    static func npi(_ nine: String) -> String {
        let digits = ("80840" + nine).compactMap(\.wholeNumberValue)
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            let doubled = index % 2 == 0 ? digit * 2 : digit
            sum += doubled > 9 ? doubled - 9 : doubled
        }
        return nine + String((10 - sum % 10) % 10)
    }
}

/// A small seeded generator (SplitMix64): the same load in every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
