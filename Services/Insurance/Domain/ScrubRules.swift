import Contracts

/// The scrubber's checks of the lines and diagnoses: code shapes, teeth and surfaces, diagnosis pointers.
/// None of these is fixable: a person must choose the right code, tooth or diagnosis.
enum ScrubLineRules {
    /// An 837P carries up to 12 diagnoses (HI), an 837D up to 4.
    static func maximumDiagnoses(_ kind: CoverageKind) -> Int { kind == .medical ? 12 : 4 }

    static func check(_ claim: Claim) -> [ScrubFinding] {
        var findings: [ScrubFinding] = []
        if claim.lines.isEmpty {
            findings.append(hold("no_lines", "The claim has no service lines", at: "lines"))
        }
        findings += diagnoses(claim)
        for (index, line) in claim.lines.enumerated() {
            findings += code(line, index: index, kind: claim.kind)
            findings += tooth(line, index: index)
            findings += pointers(line, index: index, claim: claim)
            if line.fee.amount < 0 {
                findings.append(hold("fee_negative", "\(name(line)) has a negative fee (\(line.fee.display))",
                                     at: "lines[\(index)].fee"))
            }
        }
        return findings
    }

    /// "D2392 (Resin composite - two surfaces, posterior)", or the code alone without a description.
    static func name(_ line: ClaimLine) -> String {
        let code = line.procedure.code.isEmpty ? "The charge \(line.chargeId)" : line.procedure.code
        guard let words = line.procedure.description, !words.isEmpty else { return code }
        return "\(code) (\(words))"
    }

    static func hold(_ code: String, _ message: String, at location: String) -> ScrubFinding {
        ScrubFinding(code: code, message: message, location: location, fixable: false)
    }

    private static func diagnoses(_ claim: Claim) -> [ScrubFinding] {
        var findings: [ScrubFinding] = []
        if claim.kind == .medical && claim.diagnoses.isEmpty {
            findings.append(hold("diagnosis_missing",
                                 "A medical claim needs at least one ICD-10-CM diagnosis code, e.g. K0252", at: "diagnoses"))
        }
        for (index, code) in claim.diagnoses.enumerated() where !ClaimCodeFormat.isValidDiagnosis(code) {
            findings.append(hold("diagnosis_invalid",
                                 "'\(code)' is not an ICD-10-CM code: a letter, a digit, then 1 to 5 letters or digits (e.g. K0252)",
                                 at: "diagnoses[\(index)]"))
        }
        let maximum = maximumDiagnoses(claim.kind)
        if claim.diagnoses.count > maximum {
            findings.append(hold("diagnosis_count",
                                 "The claim has \(claim.diagnoses.count) diagnoses; a \(claim.kind.rawValue) claim carries at most \(maximum)",
                                 at: "diagnoses"))
        }
        return findings
    }

    private static func code(_ line: ClaimLine, index: Int, kind: CoverageKind) -> [ScrubFinding] {
        let procedure = line.procedure
        let at = "lines[\(index)].procedure.code"
        let hint = line.suggestion.map { " (suggested from the fee schedule: \($0.code))" } ?? ""
        if procedure.code.isEmpty {
            return [hold("code_missing", "The charge \(line.chargeId) has no procedure code\(hint)", at: at)]
        }
        if !ClaimCodeFormat.isValid(procedure.code, system: procedure.codeSystem) {
            let shapes: [CodeSystem: String] = [.cdt: "D and four digits, e.g. D1110",
                                                .cpt: "five characters led by four digits, e.g. 99213 or 0001F",
                                                .hcpcs: "a letter A-V and four digits, e.g. E0114"]
            return [hold("code_invalid",
                         "'\(procedure.code)' is not a \(procedure.codeSystem.rawValue) code: \(shapes[procedure.codeSystem] ?? "")\(hint)",
                         at: at)]
        }
        let allowed = ClaimCodeFormat.systems(for: kind)
        if !allowed.contains(procedure.codeSystem) {
            let form = kind == .dental ? "837D" : "837P"
            return [hold("code_system_mismatch",
                         "\(procedure.code) is \(procedure.codeSystem.rawValue), but a \(kind.rawValue) claim (\(form)) carries \(allowed.map(\.rawValue).joined(separator: " or ")) codes",
                         at: "lines[\(index)].procedure.codeSystem")]
        }
        return []
    }

    private static func tooth(_ line: ClaimLine, index: Int) -> [ScrubFinding] {
        let procedure = line.procedure
        guard procedure.codeSystem == .cdt, ClaimCodeFormat.isValid(procedure.code, system: .cdt) else { return [] }
        let at = "lines[\(index)]"
        guard let tooth = procedure.tooth else {
            guard ToothChart.needsTooth(procedure.code) else { return [] }
            return [hold("tooth_missing", "\(name(line)) needs a tooth number: 1-32 or A-T", at: "\(at).tooth")]
        }
        guard ToothChart.baseTooth(tooth) != nil else {
            return [hold("tooth_invalid",
                         "'\(tooth)' is not a tooth number: 1-32 or A-T (supernumerary 51-82 or AS-TS)", at: "\(at).tooth")]
        }
        var findings: [ScrubFinding] = []
        let front = ToothChart.isAnterior(tooth)
        let kind = front ? "a front (anterior) tooth" : "a back (posterior) tooth"
        if let site = ToothChart.requiredSite(for: procedure.code), (site == .anterior) != front {
            findings.append(hold("tooth_site_mismatch",
                                 "\(name(line)) is for \(site == .anterior ? "front" : "back") teeth; tooth \(tooth) is \(kind)",
                                 at: "\(at).tooth"))
        }
        let surfaces = procedure.surfaces ?? []
        for surface in surfaces {
            if !ToothChart.surfaces.contains(surface) {
                findings.append(hold("surface_invalid",
                                     "'\(surface)' is not a tooth surface: M, O, D, B, F, L or I", at: "\(at).surfaces"))
            } else if surface == "O" && front {
                findings.append(hold("surface_not_on_tooth",
                                     "Tooth \(tooth) is \(kind): it has no occlusal (O) surface; use I (incisal)", at: "\(at).surfaces"))
            } else if surface == "I" && !front {
                findings.append(hold("surface_not_on_tooth",
                                     "Tooth \(tooth) is \(kind): it has no incisal (I) surface; use O (occlusal)", at: "\(at).surfaces"))
            }
        }
        if let rule = ToothChart.surfaceRule(for: procedure.code) {
            if surfaces.isEmpty {
                findings.append(hold("surfaces_missing",
                                     "\(name(line)) needs its \(rule.words) (M, O, D, B, F, L, I)", at: "\(at).surfaces"))
            } else if !rule.allows(surfaces.count) {
                let better = ToothChart.codeForSurfaceCount(like: procedure.code, count: surfaces.count).map { ": use \($0)" } ?? ""
                findings.append(hold("surface_count",
                                     "\(name(line)) is for \(rule.words), but the line names \(surfaces.count) (\(surfaces.joined()))\(better)",
                                     at: "\(at).surfaces"))
            }
        }
        return findings
    }

    private static func pointers(_ line: ClaimLine, index: Int, claim: Claim) -> [ScrubFinding] {
        let at = "lines[\(index)].diagnosisPointers"
        var findings: [ScrubFinding] = []
        if claim.kind == .medical && line.diagnosisPointers.isEmpty {
            findings.append(hold("diagnosis_pointer_missing",
                                 "\(name(line)) must point to the diagnosis it treats (1 to \(max(1, claim.diagnoses.count)))", at: at))
        }
        if line.diagnosisPointers.count > 4 {
            findings.append(hold("diagnosis_pointer_count",
                                 "\(name(line)) points to \(line.diagnosisPointers.count) diagnoses; a line carries at most 4", at: at))
        }
        for pointer in line.diagnosisPointers where !(1...max(1, claim.diagnoses.count)).contains(pointer) || claim.diagnoses.isEmpty {
            findings.append(hold("diagnosis_pointer_invalid",
                                 "\(name(line)) points to diagnosis \(pointer), but the claim has \(claim.diagnoses.count)", at: at))
        }
        return findings
    }
}

/// The scrubber's checks of who the claim names: billing practice, rendering providers, patient, subscriber and
/// coverage. Each missing item is named with the event that supplies it.
enum ScrubPartyRules {
    static func check(_ claim: Claim) -> [ScrubFinding] {
        practice(claim.parties.practice) + providers(claim) + patient(claim.parties.patient) + coverage(claim)
    }

    private static func hold(_ code: String, _ message: String, at location: String) -> ScrubFinding {
        ScrubLineRules.hold(code, message, at: location)
    }

    private static func practice(_ practice: PracticeUpdated?) -> [ScrubFinding] {
        let at = "parties.practice"
        let send = "send clinic.practice.updated.v1"
        guard let practice else {
            return [hold("practice_missing", "The practice's billing identity (NPI, tax id, address) is missing: \(send)", at: at)]
        }
        var findings: [ScrubFinding] = []
        if practice.billingNpi.isEmpty {
            findings.append(hold("billing_npi_missing", "The practice's billing NPI is missing: \(send)", at: "\(at).billingNpi"))
        } else if !NPI.isValid(practice.billingNpi) {
            findings.append(hold("npi_check_digit",
                                 "The practice's billing NPI \(practice.billingNpi) is not a valid NPI (ten digits, check digit): \(send)",
                                 at: "\(at).billingNpi"))
        }
        if practice.taxId.isEmpty {
            findings.append(hold("tax_id_missing", "The practice's tax id (EIN) is missing: \(send)", at: "\(at).taxId"))
        } else if practice.taxId.count != 9 || !ClaimCodeFormat.isDigits(practice.taxId) {
            findings.append(hold("tax_id_invalid",
                                 "The practice's tax id '\(practice.taxId)' is not nine digits: \(send)", at: "\(at).taxId"))
        }
        let address = practice.address
        let street = address.lines.first.map(ClaimCodeFormat.trimmed) ?? ""
        if street.isEmpty || address.city.isEmpty || address.region.isEmpty || address.postalCode.isEmpty {
            findings.append(hold("practice_address_missing",
                                 "The practice's street address is incomplete (street, city, state and ZIP): \(send)",
                                 at: "\(at).address"))
        } else if isPostOfficeBox(street) {
            findings.append(hold("practice_address_po_box",
                                 "The practice's address '\(street)' is a PO box; the billing provider needs a street address (a PO box can be the pay-to address): \(send)",
                                 at: "\(at).address"))
        }
        let zipDigits = address.postalCode.filter { $0 != "-" && $0 != " " }
        if address.country == "US" && !address.postalCode.isEmpty && (zipDigits.count != 9 || !ClaimCodeFormat.isDigits(zipDigits)) {
            findings.append(hold("practice_zip_incomplete",
                                 "The practice's ZIP code '\(address.postalCode)' needs all nine digits (ZIP+4) for the billing provider: \(send)",
                                 at: "\(at).address.postalCode"))
        }
        return findings
    }

    /// "PO Box 88", "P.O. Box 88", "Post Office Box 88".
    static func isPostOfficeBox(_ street: String) -> Bool {
        let squeezed = String(street.lowercased().filter { $0.isLetter || $0.isNumber })
        return squeezed.hasPrefix("pobox") || squeezed.hasPrefix("postofficebox")
    }

    private static func providers(_ claim: Claim) -> [ScrubFinding] {
        var findings: [ScrubFinding] = []
        var seen: Set<String> = []
        for (index, line) in claim.lines.enumerated() where seen.insert(line.providerId).inserted {
            let send = "send clinic.provider.updated.v1 for \(line.providerId)"
            guard let provider = claim.parties.providers[line.providerId] else {
                findings.append(hold("provider_missing",
                                     "The rendering provider \(line.providerId) of \(ScrubLineRules.name(line)) is unknown: \(send)",
                                     at: "lines[\(index)].providerId"))
                continue
            }
            let at = "parties.providers[\(line.providerId)]"
            let who = "\(provider.name.given) \(provider.name.family)"
            if provider.npi.isEmpty {
                findings.append(hold("provider_npi_missing", "\(who)'s NPI is missing: \(send)", at: "\(at).npi"))
            } else if !NPI.isValid(provider.npi) {
                findings.append(hold("npi_check_digit",
                                     "\(who)'s NPI \(provider.npi) is not a valid NPI (ten digits, check digit): \(send)",
                                     at: "\(at).npi"))
            }
            // NUCC taxonomy codes are ten letters or digits ending in X, e.g. 1223G0001X.
            let taxonomy = provider.taxonomyCode
            if taxonomy.isEmpty {
                findings.append(hold("provider_taxonomy_missing", "\(who)'s taxonomy code is missing: \(send)", at: "\(at).taxonomyCode"))
            } else if taxonomy.count != 10 || taxonomy.last != "X"
                        || !taxonomy.allSatisfy({ ("0"..."9").contains($0) || ("A"..."Z").contains($0) }) {
                findings.append(hold("provider_taxonomy_invalid",
                                     "\(who)'s taxonomy code '\(taxonomy)' is not a NUCC code (ten characters ending in X, e.g. 1223G0001X): \(send)",
                                     at: "\(at).taxonomyCode"))
            }
        }
        return findings
    }

    private static func patient(_ patient: PatientFacts) -> [ScrubFinding] {
        let at = "parties.patient"
        let send = "send clinic.patient.updated.v1 for \(patient.patientId)"
        var findings: [ScrubFinding] = []
        if patient.name == nil {
            findings.append(hold("patient_name_missing", "The patient's name is missing: \(send)", at: "\(at).name"))
        }
        if patient.dateOfBirth == nil {
            findings.append(hold("patient_dob_missing", "The patient's date of birth is missing: \(send)", at: "\(at).dateOfBirth"))
        }
        if patient.sex == nil {
            findings.append(hold("patient_sex_missing", "The patient's sex is missing: \(send)", at: "\(at).sex"))
        }
        if patient.address == nil {
            findings.append(hold("patient_address_missing", "The patient's address is missing: \(send)", at: "\(at).address"))
        }
        return findings
    }

    private static func coverage(_ claim: Claim) -> [ScrubFinding] {
        let coverage = claim.parties.coverage
        let at = "parties.coverage"
        let send = "send clinic.coverage.updated.v1 for \(coverage.coverageId)"
        var findings: [ScrubFinding] = []
        if ClaimCodeFormat.trimmed(coverage.memberId).isEmpty {
            findings.append(hold("member_id_missing", "The patient's member id is missing: \(send)", at: "\(at).memberId"))
        }
        if coverage.payer.payerId.isEmpty {
            findings.append(hold("payer_id_missing",
                                 "The payer id (the clearinghouse's id for \(coverage.payer.name)) is missing: \(send)",
                                 at: "\(at).payer.payerId"))
        }
        if (coverage.kind ?? .dental) != claim.kind {
            findings.append(hold("coverage_kind_mismatch",
                                 "The claim is \(claim.kind.rawValue) but the coverage is \((coverage.kind ?? .dental).rawValue)",
                                 at: "\(at).kind"))
        }
        guard coverage.subscriberRelationship != .self else { return findings }
        let relation = coverage.subscriberRelationship.rawValue
        guard let subscriber = coverage.subscriber else {
            return findings + [hold("subscriber_missing",
                                    "The policy holder (the patient's \(relation)) is missing: \(send) with the subscriber",
                                    at: "\(at).subscriber")]
        }
        let missing = [
            subscriber.name.given.isEmpty || subscriber.name.family.isEmpty ? ("name", "name") : nil,
            subscriber.dateOfBirth == nil ? ("dob", "dateOfBirth") : nil,
            subscriber.sex == nil ? ("sex", "sex") : nil,
            subscriber.address == nil ? ("address", "address") : nil,
        ].compactMap { $0 }
        let words = ["name": "name", "dob": "date of birth", "sex": "sex", "address": "address"]
        for (code, field) in missing {
            findings.append(hold("subscriber_\(code)_missing",
                                 "The policy holder's (the patient's \(relation)) \(words[code] ?? code) is missing: \(send)",
                                 at: "\(at).subscriber.\(field)"))
        }
        return findings
    }
}
