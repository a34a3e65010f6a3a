import Contracts
import Testing
@testable import InsuranceService

/// A clean dental claim (two lines) the scrubber tests break one way at a time; the lifecycle and risk tests use it too.
enum ScrubberFixtures {
    static let today = CalendarDate(year: 2026, month: 11, day: 10)!
    static let serviceDate = CalendarDate(year: 2026, month: 11, day: 2)!

    static func usd(_ cents: Int64) -> Money { Money(amount: cents, currency: "USD") }

    static func date(_ text: String) -> CalendarDate { CalendarDate(text)! }

    static func line(_ chargeId: String, _ code: String, tooth: String? = nil, surfaces: [String]? = nil,
                     description: String? = nil, fee: Int64 = 10_000, system: CodeSystem = .cdt,
                     pointers: [Int] = [], date: CalendarDate = serviceDate) -> ClaimLine {
        ClaimLine(chargeId: chargeId,
                  procedure: Procedure(code: code, codeSystem: system, tooth: tooth, surfaces: surfaces, description: description),
                  fee: usd(fee), serviceDate: date, providerId: "prov-12", diagnosisPointers: pointers, suggestion: nil)
    }

    static func claim() -> Claim {
        let lines = [
            line("chg-1", "D2392", tooth: "30", surfaces: ["M", "O"], description: "Resin composite - two surfaces, posterior",
                 fee: 18_500, pointers: [1]),
            line("chg-2", "D1110", description: "Prophylaxis - adult", fee: 11_000),
        ]
        let patient = PatientFacts(patientId: "pat-1001", name: PersonName(given: "Ana", family: "Lopez"),
                                   dateOfBirth: date("1986-04-12"), sex: .female,
                                   address: PostalAddress(lines: ["12 Elm St"], city: "Springfield", region: "IL",
                                                          postalCode: "62701", country: "US"))
        let parties = ClaimParties(practice: .example, providers: ["prov-12": .example], patient: patient,
                                   coverage: .example)
        return Claim(claimId: "clm-1", clinicId: "clinic-1", patientId: "pat-1001", kind: .dental, coverageId: "cov-77",
                     parties: parties, lines: lines, diagnoses: ["K0252"], totalCharged: usd(29_500), frequencyCode: "1",
                     payerClaimNumber: nil, predetermination: false, status: .draft, findings: [], risk: nil,
                     expectedInsurance: usd(0), autoFixedCauses: [], history: [], interchangeControlNumber: nil,
                     transactionControlNumber: nil)
    }

    static func scrub(_ claim: Claim, history: [PriorClaimedService] = [], today: CalendarDate = today) -> ScrubResult {
        Scrubber.scrub(claim, today: today, timelyFilingDays: 365, history: history)
    }

    static func codes(_ result: ScrubResult) -> [String] { result.findings.map(\.code) }
}

private typealias F = ScrubberFixtures

@Suite struct ScrubberCleanClaimTests {
    @Test func aCompleteClaimHasNoFindingsAndComesBackUnchanged() {
        let result = F.scrub(F.claim())
        #expect(result.findings == [])
        #expect(result.isClean)
        #expect(result.fixed == F.claim())
    }

    @Test func everyRuleRunsEveryTimeSoOneScrubNamesEveryProblem() {
        var claim = F.claim()
        claim.lines[0].procedure.tooth = nil
        claim.lines[1].procedure.code = "d1110 "
        claim.parties.practice?.billingNpi = "1234567890"
        claim.parties.patient.sex = nil
        claim.totalCharged = F.usd(1)
        let result = F.scrub(claim)
        #expect(Set(F.codes(result)) == ["tooth_missing", "code_normalized", "npi_check_digit", "patient_sex_missing",
                                          "total_mismatch"])
        #expect(result.holding.map(\.code) == ["tooth_missing", "npi_check_digit", "patient_sex_missing"])
        #expect(!result.isClean)
        #expect(F.scrub(claim) == result)  // the same claim gives the same findings
    }
}

@Suite struct ScrubberFixTests {
    @Test func aCodeIsWrittenInUpperCaseWithoutSpaces() {
        var claim = F.claim()
        claim.lines[1].procedure.code = "d1110 "
        let result = F.scrub(claim)
        #expect(result.fixed.lines[1].procedure.code == "D1110")
        #expect(result.findings == [ScrubFinding(code: "code_normalized", message: "The code 'd1110 ' is written D1110",
                                                 location: "lines[1].procedure.code", fixable: true)])
        #expect(result.isClean)
    }

    @Test func icd10CodesLoseTheirDotAndAreUpperCase() {
        var claim = F.claim()
        claim.diagnoses = ["k02.52"]
        let result = F.scrub(claim)
        #expect(result.fixed.diagnoses == ["K0252"])
        #expect(F.codes(result) == ["diagnosis_normalized"])
        #expect(result.findings[0].location == "diagnoses[0]")
    }

    @Test func theTotalIsRecomputedWhenItIsNotTheSumOfTheLines() {
        var claim = F.claim()
        claim.totalCharged = F.usd(30_000)
        let result = F.scrub(claim)
        #expect(result.fixed.totalCharged == F.usd(29_500))
        #expect(result.findings.map(\.fixable) == [true])
        #expect(result.findings[0].message
                == "The claim total was 300.00 USD but the lines add up to 295.00 USD; the total is now 295.00 USD")
    }

    @Test func linesInAnotherCurrencyHoldTheClaimInsteadOfBeingAdded() {
        var claim = F.claim()
        claim.lines[1].fee = Money(amount: 11_000, currency: "CAD")
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["currency_mismatch"])
        #expect(result.fixed.totalCharged == F.usd(29_500))
    }

    @Test func surfacesAreUpperCaseWithoutEmptiesOrRepeats() {
        var claim = F.claim()
        claim.lines[0].procedure.surfaces = ["m", " o", "O", ""]
        let result = F.scrub(claim)
        #expect(result.fixed.lines[0].procedure.surfaces == ["M", "O"])
        #expect(F.codes(result) == ["surfaces_normalized"])
        #expect(result.isClean)
    }

    @Test func surfacesRunTogetherAreSplitAndThenCountedAgainstTheCode() {
        var claim = F.claim()
        claim.lines[0].procedure.surfaces = ["mod"]
        let result = F.scrub(claim)
        #expect(result.fixed.lines[0].procedure.surfaces == ["M", "O", "D"])
        #expect(F.codes(result) == ["surfaces_normalized", "surface_count"])
        #expect(result.holding[0].message
                == "D2392 (Resin composite - two surfaces, posterior) is for two surfaces, but the line names 3 (MOD): use D2393")
    }

    @Test func toothNumbersAreTrimmedAndEmptyOnesRemoved() {
        var claim = F.claim()
        claim.lines[0].procedure.tooth = " 03"
        #expect(F.scrub(claim).fixed.lines[0].procedure.tooth == "3")
        claim.lines[0].procedure.tooth = " "
        let result = F.scrub(claim)
        #expect(result.fixed.lines[0].procedure.tooth == nil)
        #expect(F.codes(result) == ["tooth_normalized", "tooth_missing"])
    }

    @Test func aTaxIdWithADashAndAMemberIdWithSpacesAreCleaned() {
        var claim = F.claim()
        claim.parties.practice?.taxId = "37-1234567"
        claim.parties.coverage.memberId = " W123456789 "
        let result = F.scrub(claim)
        #expect(result.fixed.parties.practice?.taxId == "371234567")
        #expect(result.fixed.parties.coverage.memberId == "W123456789")
        #expect(result.isClean)
    }

    @Test func repeatedDiagnosisPointersAreDropped() {
        var claim = F.claim()
        claim.lines[0].diagnosisPointers = [1, 1]
        let result = F.scrub(claim)
        #expect(result.fixed.lines[0].diagnosisPointers == [1])
        #expect(result.isClean)
    }
}

@Suite struct ScrubberCodeTests {
    @Test(arguments: [
        ("D1110", CodeSystem.cdt, true), ("D111", .cdt, false), ("d1110", .cdt, false), ("E1110", .cdt, false),
        ("99213", .cpt, true), ("0001F", .cpt, true), ("0042T", .cpt, true), ("0001U", .cpt, true),
        ("9921", .cpt, false), ("A9213", .cpt, false), ("99213X", .cpt, false),
        ("E0114", .hcpcs, true), ("V2020", .hcpcs, true), ("W1234", .hcpcs, false), ("E011", .hcpcs, false),
    ])
    func codeShapesPerCodeSystem(code: String, system: CodeSystem, valid: Bool) {
        #expect(ClaimCodeFormat.isValid(code, system: system) == valid)
    }

    @Test(arguments: [("K0252", true), ("Z0000", true), ("S72001A", true), ("E119", true), ("K02", true),
                      ("K0", false), ("0K252", false), ("KK252", false), ("S72001AB", false), ("K02.52", false)])
    func icd10Shapes(code: String, valid: Bool) {
        #expect(ClaimCodeFormat.isValidDiagnosis(code) == valid)
    }

    @Test func aMalformedCodeHoldsTheClaimAndSaysWhatTheShapeIs() {
        var claim = F.claim()
        claim.lines[1].procedure.code = "D111"
        let result = F.scrub(claim)
        #expect(result.holding.map(\.code) == ["code_invalid"])
        #expect(result.holding[0].message == "'D111' is not a CDT code: D and four digits, e.g. D1110")
        #expect(result.holding[0].location == "lines[1].procedure.code")
    }

    @Test func aDentalClaimCarriesOnlyCDTCodes() {
        var claim = F.claim()
        claim.lines[1] = F.line("chg-2", "99213", fee: 11_000, system: .cpt)
        #expect(F.codes(F.scrub(claim)) == ["code_system_mismatch"])
    }

    @Test func aMedicalClaimNeedsDiagnosesAndEveryLinePointsToOne() {
        var claim = F.claim()
        claim.kind = .medical
        claim.parties.coverage.kind = .medical
        claim.diagnoses = []
        claim.lines = [F.line("chg-1", "99213", fee: 29_500, system: .cpt)]
        #expect(F.codes(F.scrub(claim)) == ["diagnosis_missing", "diagnosis_pointer_missing"])
        claim.diagnoses = ["J0190"]
        claim.lines[0].diagnosisPointers = [1]
        #expect(F.scrub(claim).findings == [])
    }

    @Test func pointersStayWithinTheDiagnosesAndAtMostFourPerLine() {
        var claim = F.claim()
        claim.lines[0].diagnosisPointers = [2]
        #expect(F.codes(F.scrub(claim)) == ["diagnosis_pointer_invalid"])
        claim.diagnoses = ["K0252", "K0253", "K0262", "K0263"]
        claim.lines[0].diagnosisPointers = [1, 2, 3, 4, 5]
        #expect(F.codes(F.scrub(claim)) == ["diagnosis_pointer_count", "diagnosis_pointer_invalid"])
    }

    @Test func anInvalidDiagnosisIsNamedWithItsPlace() {
        var claim = F.claim()
        claim.diagnoses = ["K0252", "1234"]
        let result = F.scrub(claim)
        #expect(result.holding.map(\.code) == ["diagnosis_invalid"])
        #expect(result.holding[0].location == "diagnoses[1]")
    }
}

@Suite struct ScrubberToothTests {
    @Test func aRestorationWithoutAToothHoldsTheClaimInWords() {
        var claim = F.claim()
        claim.lines[0].procedure.tooth = nil
        let result = F.scrub(claim)
        #expect(result.findings == [ScrubFinding(
            code: "tooth_missing", message: "D2392 (Resin composite - two surfaces, posterior) needs a tooth number: 1-32 or A-T",
            location: "lines[0].tooth", fixable: false)])
    }

    @Test(arguments: ["D2740", "D3330", "D7140", "D6010", "D1351", "D6240"])
    func proceduresOnOneToothNeedIt(code: String) {
        #expect(ToothChart.needsTooth(code))
    }

    @Test(arguments: ["D1110", "D0274", "D4341", "D7260", "D8080", "99213"])
    func otherProceduresDoNot(code: String) {
        #expect(!ToothChart.needsTooth(code))
    }

    @Test(arguments: [("1", true), ("32", true), ("A", true), ("T", true), ("51", true), ("82", true), ("AS", true),
                      ("TS", true), ("0", false), ("33", false), ("50", false), ("83", false), ("U", false),
                      ("UT", false), ("AB", false), ("+3", false)])
    func toothNumbers(tooth: String, valid: Bool) {
        #expect((ToothChart.baseTooth(tooth) != nil) == valid)
    }

    @Test func frontAndBackTeeth() {
        for front in ["6", "11", "22", "27", "C", "H", "M", "R", "58", "CS"] { #expect(ToothChart.isAnterior(front)) }
        for back in ["5", "12", "21", "28", "30", "A", "B", "I", "L", "S", "T", "80", "AS"] { #expect(!ToothChart.isAnterior(back)) }
    }

    @Test func supernumeraryTeethAreAccepted() {
        var claim = F.claim()
        claim.lines[0].procedure.tooth = "80"
        #expect(F.scrub(claim).findings == [])
    }

    @Test func aToothNumberOutsideTheChartHoldsTheClaim() {
        var claim = F.claim()
        claim.lines[0].procedure.tooth = "33"
        #expect(F.codes(F.scrub(claim)) == ["tooth_invalid"])
    }

    @Test func occlusalIsOnlyOnBackTeethAndIncisalOnlyOnFrontTeeth() {
        var claim = F.claim()
        claim.lines[0] = F.line("chg-1", "D2331", tooth: "8", surfaces: ["M", "O"], fee: 18_500)
        #expect(F.codes(F.scrub(claim)) == ["surface_not_on_tooth"])
        claim.lines[0].procedure.surfaces = ["M", "I"]
        #expect(F.scrub(claim).findings == [])
        claim.lines[0] = F.line("chg-1", "D2392", tooth: "30", surfaces: ["M", "I"], fee: 18_500)
        #expect(F.codes(F.scrub(claim)) == ["surface_not_on_tooth"])
    }

    @Test func aPosteriorResinOnAFrontToothHoldsTheClaim() {
        var claim = F.claim()
        claim.lines[0].procedure.tooth = "8"
        claim.lines[0].procedure.surfaces = ["M", "F"]
        #expect(F.codes(F.scrub(claim)) == ["tooth_site_mismatch"])
    }

    @Test func unknownSurfacesAndMissingSurfacesHoldTheClaim() {
        var claim = F.claim()
        claim.lines[0].procedure.surfaces = ["M", "X"]
        #expect(F.codes(F.scrub(claim)) == ["surface_invalid"])
        claim.lines[0].procedure.surfaces = nil
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["surfaces_missing"])
        #expect(result.holding[0].message
                == "D2392 (Resin composite - two surfaces, posterior) needs its two surfaces (M, O, D, B, F, L, I)")
    }

    @Test(arguments: [("D2391", 1, true), ("D2391", 2, false), ("D2392", 2, true), ("D2393", 3, true), ("D2393", 4, false),
                      ("D2394", 4, true), ("D2394", 5, true), ("D2394", 3, false), ("D2330", 1, true), ("D2335", 4, true),
                      ("D2140", 1, true), ("D2161", 3, false)])
    func theSurfaceCountMatchesTheCode(code: String, count: Int, allowed: Bool) {
        #expect(ToothChart.surfaceRule(for: code)?.allows(count) == allowed)
    }
}

@Suite struct ScrubberNPITests {
    @Test(arguments: ["1234567893", "1245319599"])
    func validNPIs(npi: String) { #expect(NPI.isValid(npi)) }

    @Test(arguments: ["1234567890", "1245319590", "123456789", "12345678933", "123456789A", "", "１234567893"])
    func invalidNPIs(npi: String) { #expect(!NPI.isValid(npi)) }

    @Test func theBillingAndRenderingNPIsAreChecked() {
        var claim = F.claim()
        claim.parties.practice?.billingNpi = "1245319590"
        claim.parties.providers["prov-12"]?.npi = "1234567890"
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["npi_check_digit", "npi_check_digit"])
        #expect(result.holding.map(\.location) == ["parties.practice.billingNpi", "parties.providers[prov-12].npi"])
    }
}

@Suite struct ScrubberPartyTests {
    @Test func aMissingPracticeNamesTheEventThatSuppliesIt() {
        var claim = F.claim()
        claim.parties.practice = nil
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["practice_missing"])
        #expect(result.holding[0].message.hasSuffix("send clinic.practice.updated.v1"))
    }

    @Test func eachMissingPracticeItemIsNamed() {
        var claim = F.claim()
        claim.parties.practice?.billingNpi = ""
        claim.parties.practice?.taxId = ""
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["billing_npi_missing", "tax_id_missing"])
        #expect(result.holding[0].message == "The practice's billing NPI is missing: send clinic.practice.updated.v1")
        claim.parties.practice?.taxId = "37123"
        #expect(F.codes(F.scrub(claim)).contains("tax_id_invalid"))
    }

    @Test func theBillingAddressIsAStreetWithTheFullZip() {
        var claim = F.claim()
        claim.parties.practice?.address.lines = ["P.O. Box 88"]
        #expect(F.codes(F.scrub(claim)) == ["practice_address_po_box"])
        claim.parties.practice?.address.lines = ["400 Main St"]
        claim.parties.practice?.address.postalCode = "62701"
        #expect(F.codes(F.scrub(claim)) == ["practice_zip_incomplete"])
        claim.parties.practice?.address.postalCode = "62701-1234"
        #expect(F.scrub(claim).findings == [])
        #expect(ScrubPartyRules.isPostOfficeBox("Post Office Box 12"))
        #expect(!ScrubPartyRules.isPostOfficeBox("12 Pobst Road"))
    }

    @Test func everyRenderingProviderMustBeKnownWithNPIAndTaxonomy() {
        var claim = F.claim()
        claim.lines[1].providerId = "prov-99"
        claim.parties.providers["prov-12"]?.taxonomyCode = ""
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["provider_taxonomy_missing", "provider_missing"])
        #expect(result.holding[1].location == "lines[1].providerId")
        #expect(result.holding[1].message.hasSuffix("send clinic.provider.updated.v1 for prov-99"))
        claim.parties.providers["prov-12"]?.taxonomyCode = "1223G0001"
        #expect(F.codes(F.scrub(claim)).contains("provider_taxonomy_invalid"))
    }

    @Test func thePatientNeedsDateOfBirthSexNameAndAddress() {
        var claim = F.claim()
        claim.parties.patient = PatientFacts(patientId: "pat-1001", name: nil, dateOfBirth: nil, sex: nil, address: nil)
        #expect(F.codes(F.scrub(claim)) == ["patient_name_missing", "patient_dob_missing", "patient_sex_missing",
                                             "patient_address_missing"])
    }

    @Test func theSubscriberIsNeededWhenThePatientIsNotThePolicyHolder() {
        var claim = F.claim()
        claim.parties.coverage.subscriber = nil
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["subscriber_missing"])
        #expect(result.holding[0].location == "parties.coverage.subscriber")
        claim.parties.coverage.subscriberRelationship = .self
        #expect(F.scrub(claim).findings == [])
    }

    @Test func eachMissingSubscriberItemIsNamed() {
        var claim = F.claim()
        claim.parties.coverage.subscriber?.dateOfBirth = nil
        claim.parties.coverage.subscriber?.address = nil
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["subscriber_dob_missing", "subscriber_address_missing"])
        #expect(result.holding[0].location == "parties.coverage.subscriber.dateOfBirth")
    }

    @Test func theMemberIdAndPayerIdAreRequired() {
        var claim = F.claim()
        claim.parties.coverage.memberId = ""
        claim.parties.coverage.payer.payerId = ""
        #expect(F.codes(F.scrub(claim)) == ["member_id_missing", "payer_id_missing"])
    }
}

@Suite struct ScrubberDateTests {
    @Test func aServiceInTheFutureHoldsTheClaim() {
        let result = F.scrub(F.claim(), today: F.date("2026-11-01"))
        #expect(F.codes(result) == ["service_date_future", "service_date_future"])
    }

    @Test func aServiceOlderThanTheFilingLimitHoldsTheClaim() {
        var claim = F.claim()
        claim.parties.coverage.effectiveDate = F.date("2024-01-01")
        claim.lines[1].serviceDate = F.date("2025-11-09")  // 366 days before today
        let result = F.scrub(claim)
        #expect(F.codes(result) == ["timely_filing"])
        #expect(result.holding[0].message.contains("366 days ago: past Aetna Dental's filing limit of 365 days"))
        claim.lines[1].serviceDate = F.date("2025-11-10")  // 365 days: still in time
        #expect(F.scrub(claim).findings == [])
    }

    @Test func aServiceOutsideTheCoverageHoldsTheClaim() {
        var claim = F.claim()
        claim.parties.coverage.terminationDate = F.date("2026-10-31")
        #expect(F.codes(F.scrub(claim)) == ["coverage_inactive", "coverage_inactive"])
    }

    @Test func aPredeterminationIsForPlannedWorkSoItsDatesAreNotChecked() {
        var claim = F.claim()
        claim.predetermination = true
        #expect(F.scrub(claim, today: F.date("2026-10-01")).findings == [])
    }

    @Test func dayArithmetic() {
        #expect(ClaimCalendar.days(from: F.date("2024-02-28"), to: F.date("2024-03-01")) == 2)
        #expect(ClaimCalendar.days(from: F.date("2025-11-10"), to: F.date("2026-11-10")) == 365)
        #expect(ClaimCalendar.adding(months: 1, to: F.date("2026-01-31")) == F.date("2026-02-28"))
        #expect(ClaimCalendar.adding(months: -12, to: F.date("2026-11-02")) == F.date("2025-11-02"))
        #expect(ClaimCalendar.benefitYearStart(of: F.date("2026-03-05"), startMonth: 7) == F.date("2025-07-01"))
    }
}

@Suite struct ScrubberFrequencyTests {
    @Test func aThirdCleaningInTheBenefitYearIsHeldBecauseThePayerWouldDenyIt() {
        let history = [PriorClaimedService(code: "D1110", serviceDate: F.date("2026-02-01")),
                       PriorClaimedService(code: "D1120", serviceDate: F.date("2026-07-01"))]
        let result = F.scrub(F.claim(), history: history)
        #expect(F.codes(result) == ["frequency_limit"])
        #expect(result.holding[0].location == "lines[1].procedure.code")
        #expect(result.holding[0].message == "D1110 (Prophylaxis - adult) on 2026-11-02 is over the plan's limit of 2 per benefit year for D1110, D1120 (already claimed: 2026-02-01, 2026-07-01): Aetna Dental would deny it")
    }

    @Test func cleaningsOfTheLastBenefitYearAndOfThisClaimItselfDoNotCount() {
        let history = [PriorClaimedService(code: "D1110", serviceDate: F.date("2025-12-20")),
                       PriorClaimedService(code: "D1110", serviceDate: F.date("2026-02-01")),
                       PriorClaimedService(code: "D1110", serviceDate: F.date("2026-11-02"), chargeId: "chg-2")]
        #expect(F.scrub(F.claim(), history: history).findings == [])
    }

    @Test func theBenefitYearFollowsThePlansStartMonth() {
        var claim = F.claim()
        claim.parties.coverage.planYearStartMonth = 7
        let history = [PriorClaimedService(code: "D1110", serviceDate: F.date("2026-02-01")),
                       PriorClaimedService(code: "D1110", serviceDate: F.date("2026-07-01"))]
        #expect(F.scrub(claim, history: history).findings == [])  // 2026-02-01 was in the year before July
    }

    @Test func twoCleaningsOnOneClaimOverTheLimitHoldOnlyTheLaterOne() {
        var claim = F.claim()
        claim.lines.append(F.line("chg-3", "D1110", fee: 11_000, date: F.date("2026-11-03")))
        claim.totalCharged = F.usd(40_500)
        let history = [PriorClaimedService(code: "D1110", serviceDate: F.date("2026-02-01"))]
        let result = F.scrub(claim, history: history)
        #expect(result.holding.map(\.location) == ["lines[2].procedure.code"])
    }

    @Test func aRollingLimitCountsAnyWindowOfItsMonths() {
        var claim = F.claim()
        claim.lines[1] = F.line("chg-2", "D0274", fee: 11_000)
        let soon = [PriorClaimedService(code: "D0274", serviceDate: F.date("2025-11-03"))]
        #expect(F.codes(F.scrub(claim, history: soon)) == ["frequency_limit"])
        let yearAgo = [PriorClaimedService(code: "D0272", serviceDate: F.date("2025-11-02"))]
        #expect(F.scrub(claim, history: yearAgo).findings == [])  // exactly 12 months later is allowed
        let later = [PriorClaimedService(code: "D0274", serviceDate: F.date("2027-03-01"))]
        #expect(F.codes(F.scrub(claim, history: later)) == ["frequency_limit"])  // the later one was already paid
    }

    @Test func rangesInALimitMatchEveryCodeInThem() {
        #expect(ClaimCodeFormat.matches("D0274", ["D0270-D0279"]))
        #expect(ClaimCodeFormat.matches("d1110", ["D1110"]))
        #expect(!ClaimCodeFormat.matches("D0280", ["D0270-D0279"]))
        #expect(!ClaimCodeFormat.matches("99213", ["D0100-D9999"]))
    }
}

@Suite struct CodeSuggesterTests {
    static let schedule = [
        PracticeFeeEntry(code: "D1110", description: "Prophylaxis - adult", fee: F.usd(11_000)),
        PracticeFeeEntry(code: "D1120", description: "Prophylaxis - child", fee: F.usd(8_000)),
        PracticeFeeEntry(code: "D2392", description: "Resin composite - two surfaces, posterior", fee: F.usd(18_500)),
        PracticeFeeEntry(code: "D2393", description: "Resin composite - three surfaces, posterior", fee: F.usd(22_000)),
        PracticeFeeEntry(code: "D2740", description: "Crown - porcelain/ceramic", fee: F.usd(120_000)),
    ]

    @Test func anAbbreviatedDescriptionFindsItsFeeScheduleEntry() {
        let procedure = Procedure(code: "", codeSystem: .cdt, description: "prophy adult")
        #expect(CodeSuggester.suggest(for: procedure, feeSchedule: Self.schedule) == CodeSuggestion(
            code: "D1110", reason: "description 'prophy adult' matches fee schedule D1110 'Prophylaxis - adult'"))
    }

    @Test func theClosestEntryWinsWhateverTheScheduleOrder() {
        let procedure = Procedure(code: "D23", codeSystem: .cdt, description: "Resin comp. 2 surf, posterior")
        #expect(CodeSuggester.suggest(for: procedure, feeSchedule: Self.schedule)?.code == "D2392")
        #expect(CodeSuggester.suggest(for: procedure, feeSchedule: Self.schedule.reversed())?.code == "D2392")
    }

    @Test func nothingCloseEnoughSuggestsNothing() {
        for words in ["cleaning", "", "crown", "-", "porcelain crown on implant abutment"] {
            let procedure = Procedure(code: "", codeSystem: .cdt, description: words)
            #expect(CodeSuggester.suggest(for: procedure, feeSchedule: Self.schedule) == nil)
        }
        #expect(CodeSuggester.suggest(for: Procedure(code: "", codeSystem: .cdt), feeSchedule: Self.schedule) == nil)
    }

    @Test func onlyLinesWithAMissingOrMalformedCodeGetASuggestionAndTheScrubberNeverAppliesIt() {
        var claim = F.claim()
        claim.lines[1].procedure.code = ""
        claim.lines[1].procedure.description = "prophy adult"
        let annotated = CodeSuggester.annotate(claim, feeSchedule: Self.schedule)
        #expect(annotated.lines[0].suggestion == nil)
        #expect(annotated.lines[1].suggestion?.code == "D1110")
        let result = F.scrub(annotated)
        #expect(result.fixed.lines[1].procedure.code == "")
        #expect(F.codes(result) == ["code_missing"])
        #expect(result.holding[0].message == "The charge chg-2 has no procedure code (suggested from the fee schedule: D1110)")
    }
}
