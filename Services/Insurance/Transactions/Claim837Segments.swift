import Contracts
import X12

/// The segments between ST and SE of one claim, loop by loop as the 837D (X224A2) and 837P (X222A1)
/// implementation guides order them. Refuses a claim that would make a non-compliant set.
struct ClaimSegments {
    typealias V = ClaimX12Values
    let claim: Claim
    let kind: CoverageKind
    let envelope: ClaimFileEnvelope
    let date: X12Writer.DateTime

    var dental: Bool { kind == .dental }
    var patientIsSubscriber: Bool { claim.parties.coverage.subscriberRelationship == .self }

    func all() throws(X12Error) -> [X12Segment] {
        guard let practice = claim.parties.practice else {
            throw refuse("parties.practice", "", "no billing provider: the clinic has not sent its practice details")
        }
        guard !claim.lines.isEmpty else { throw refuse("lines", "", "a claim needs at least one service line") }
        if claim.predetermination && !dental {
            throw refuse("predetermination", "true", "only a dental claim (837D) can ask for a predetermination")
        }
        return header() + (try billingProvider(practice)) + (try subscriber()) + (try claimInformation(practice))
            + (try serviceLines())
    }

    /// BHT and loops 1000A (submitter) and 1000B (receiver).
    func header() -> [X12Segment] {
        let submitter = envelope.submitter, receiver = envelope.receiver
        return [
            // BHT06 CH (chargeable) for claims and predeterminations alike: the 837D marks a predetermination in CLM19.
            V.segment("BHT", "0019", "00", claim.claimId, V.date(date), V.time(date), "CH"),
            V.organisation("41", submitter.name, qualifier: "46", id: submitter.id),
            V.segment("PER", "IC", submitter.contactName, "TE", V.phone(submitter.phone)),
            V.organisation("40", receiver.name, qualifier: "46", id: receiver.id),
        ]
    }

    /// 2000A with 2010AA (billing provider) and 2010AB (pay-to address, when it differs).
    func billingProvider(_ practice: PracticeUpdated) throws(X12Error) -> [X12Segment] {
        var out = [V.segment("HL", "1", "", "20", "1")]
        if let taxonomy = practice.taxonomyCode, !taxonomy.isEmpty { out.append(V.segment("PRV", "BI", "PXC", taxonomy)) }
        out.append(V.organisation("85", practice.name, qualifier: "XX", id: practice.billingNpi))
        out += try V.address(practice.address, "2010AA")
        out.append(V.segment("REF", "EI", practice.taxId))
        if let payTo = practice.payToAddress, payTo != practice.address {
            out.append(V.segment("NM1", "87", "2"))
            out += try V.address(payTo, "2010AB")
        }
        return out
    }

    /// 2000B with 2010BA (subscriber) and 2010BB (payer); 2000C with 2010CA when the patient is a dependent.
    func subscriber() throws(X12Error) -> [X12Segment] {
        let coverage = claim.parties.coverage, patient = claim.parties.patient
        var out = [
            V.segment("HL", "2", "1", "22", patientIsSubscriber ? "0" : "1"),
            V.segment("SBR", V.payerSequence(coverage.priority), patientIsSubscriber ? "18" : "", coverage.groupNumber ?? "",
                      "", "", "", "", "", "CI"),
        ]
        if patientIsSubscriber {
            guard let name = patient.name else { throw refuse("parties.patient.name", "", "the subscriber (the patient) has no name") }
            guard let address = patient.address, let birth = patient.dateOfBirth else {
                throw refuse("parties.patient", patient.patientId, "the 837 needs the subscriber's address and date of birth")
            }
            out.append(V.person("IL", name, qualifier: "MI", id: coverage.memberId))
            out += try V.address(address, "2010BA")
            out.append(V.segment("DMG", "D8", V.date(birth), V.sex(patient.sex)))
        } else {
            guard let holder = coverage.subscriber else {
                throw refuse("parties.coverage.subscriber", "", "the patient is not the policy holder, and the coverage names none")
            }
            out.append(V.person("IL", holder.name, qualifier: "MI", id: coverage.memberId))
            if let address = holder.address { out += try V.address(address, "2010BA") }
            if let birth = holder.dateOfBirth { out.append(V.segment("DMG", "D8", V.date(birth), V.sex(holder.sex))) }
        }
        out.append(V.organisation("PR", coverage.payer.name, qualifier: "PI", id: coverage.payer.payerId))
        if !patientIsSubscriber {
            guard let name = patient.name, let address = patient.address, let birth = patient.dateOfBirth else {
                throw refuse("parties.patient", patient.patientId, "a dependent patient needs a name, address and date of birth")
            }
            out.append(V.segment("HL", "3", "2", "23", "0"))
            out.append(V.segment("PAT", V.patientRelationship(coverage.subscriberRelationship)))
            out.append(V.person("QC", name))
            out += try V.address(address, "2010CA")
            out.append(V.segment("DMG", "D8", V.date(birth), V.sex(patient.sex)))
        }
        return out
    }

    /// 2300: CLM, the replaced claim's number, diagnoses, and 2310B (rendering provider).
    func claimInformation(_ practice: PracticeUpdated) throws(X12Error) -> [X12Segment] {
        var clm: [X12Element] = [
            X12Element(claim.claimId), X12Element(V.amount(claim.totalCharged)), "", "",
            // Place of service 11 (office), qualifier B, and the frequency: 1 original, 7 replacement.
            .composite("11", "B", claim.frequencyCode), "Y", "A", "Y", "Y",
        ]
        if claim.predetermination {
            clm += Array(repeating: X12Element(""), count: 9) + ["PB"]  // CLM19: predetermination of dental benefits
        }
        var out = [X12Segment("CLM", clm)]
        if claim.frequencyCode == "7" || claim.frequencyCode == "8" {
            guard let number = claim.payerClaimNumber, !number.isEmpty else {
                throw refuse("payerClaimNumber", "", "a replacement (frequency \(claim.frequencyCode)) must name the payer's claim number")
            }
            out.append(V.segment("REF", "F8", number))
        }
        out += try diagnoses()
        if let rendering = renderingProvider, rendering.npi != practice.billingNpi {
            out += provider(rendering)
        }
        return out
    }

    /// HI: ABK for the principal diagnosis, ABF for the others. Required on an 837P; on an 837D only when there are any.
    func diagnoses() throws(X12Error) -> [X12Segment] {
        let limit = dental ? 4 : 12
        if claim.diagnoses.isEmpty {
            if dental { return [] }
            throw refuse("diagnoses", "", "a professional claim needs at least one ICD-10 diagnosis")
        }
        guard claim.diagnoses.count <= limit else {
            throw refuse("diagnoses", String(claim.diagnoses.count), "an \(dental ? "837D" : "837P") carries at most \(limit)")
        }
        let elements = claim.diagnoses.enumerated().map { index, code in
            X12Element.composite(index == 0 ? "ABK" : "ABF", V.diagnosis(code))
        }
        return [X12Segment("HI", elements)]
    }

    /// The claim-level rendering provider: the one of the first line.
    var renderingProvider: ProviderUpdated? { claim.parties.providers[claim.lines[0].providerId] }

    /// NM1*82 and PRV*PE of loop 2310B or 2420A.
    func provider(_ provider: ProviderUpdated) -> [X12Segment] {
        [V.person("82", provider.name, qualifier: "XX", id: provider.npi), V.segment("PRV", "PE", "PXC", provider.taxonomyCode)]
    }

    /// 2400: LX, SV3 + TOO (837D) or SV1 (837P), the service date, the charge id, and 2420A when another provider did the line.
    func serviceLines() throws(X12Error) -> [X12Segment] {
        var out: [X12Segment] = []
        for (index, line) in claim.lines.enumerated() {
            out.append(V.segment("LX", String(index + 1)))
            let pointers = try diagnosisPointers(line, index)
            if dental {
                var sv3: [X12Element] = [.composite("AD", line.procedure.code), X12Element(V.amount(line.fee)), "", "", "", "1"]
                if !pointers.isEmpty { sv3 += ["", "", "", "", X12Element(components: pointers)] }  // SV311
                out.append(X12Segment("SV3", sv3))
                if let tooth = line.procedure.tooth, !tooth.isEmpty {
                    var too: [X12Element] = ["JP", X12Element(tooth)]
                    if let surfaces = line.procedure.surfaces, !surfaces.isEmpty {
                        guard surfaces.count <= 5 else { throw refuse("lines[\(index)].surfaces", surfaces.joined(), "at most 5 surfaces") }
                        too.append(X12Element(components: surfaces))
                    }
                    out.append(X12Segment("TOO", too))
                }
            } else {
                out.append(X12Segment("SV1", [
                    .composite("HC", line.procedure.code), X12Element(V.amount(line.fee)), "UN", "1", "", "",
                    X12Element(components: pointers.isEmpty ? ["1"] : pointers),
                ]))
            }
            // A predetermination is for work not yet done: it has no service dates.
            if !claim.predetermination { out.append(V.segment("DTP", "472", "D8", V.date(line.serviceDate))) }
            out.append(V.segment("REF", "6R", line.chargeId))  // returned in the 835, to match payments to lines
            if line.providerId != claim.lines[0].providerId, let other = claim.parties.providers[line.providerId] {
                out += provider(other)
            }
        }
        return out
    }

    func diagnosisPointers(_ line: ClaimLine, _ index: Int) throws(X12Error) -> [String] {
        guard line.diagnosisPointers.count <= 4 else {
            throw refuse("lines[\(index)].diagnosisPointers", "\(line.diagnosisPointers)", "a line points to at most 4 diagnoses")
        }
        for pointer in line.diagnosisPointers where pointer < 1 || pointer > claim.diagnoses.count {
            throw refuse("lines[\(index)].diagnosisPointers", String(pointer), "points past the claim's \(claim.diagnoses.count) diagnoses")
        }
        return line.diagnosisPointers.map(String.init)
    }

    func refuse(_ location: String, _ value: String, _ reason: String) -> X12Error {
        .unwritable(location: "claim \(claim.claimId) \(location)", value: value, reason: reason)
    }
}
