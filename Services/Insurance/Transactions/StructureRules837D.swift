import Contracts
import X12

/// The 837D (005010X224A2) rules listed at the top of StructureCheck.swift.
enum StructureRules837D {
    static let guide = "the 837D (005010X224A2)"
    /// Each HL level and the level of its parent (none at the top).
    static let parents: [String: String?] = ["20": nil, "22": "20", "23": "22"]
    static let known: Set<String> = [
        "BHT", "NM1", "PER", "HL", "PRV", "CUR", "N3", "N4", "REF", "SBR", "DMG", "PAT", "CLM", "DTP", "DN1", "DN2",
        "PWK", "CN1", "AMT", "NTE", "HI", "HCP", "CAS", "OI", "MOA", "LX", "SV3", "TOO", "QTY", "K3", "SVD",
    ]
    static let payerSequence: Set<String> = ["A", "B", "C", "D", "E", "F", "G", "H", "P", "S", "T", "U"]
    static let filingIndicators: Set<String> = [
        "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA", "MB", "MC", "OF",
        "TV", "VA", "WC", "ZZ",
    ]
    static let patientRelationships: Set<String> = ["01", "19", "20", "21", "39", "40", "53", "G8"]
    static let surfaces: Set<String> = ["B", "D", "F", "I", "L", "M", "O"]

    static func check(_ r: inout StructureReport) {
        r.checkKnownSegments(known, guide: guide)
        r.checkBHT(structure: "0019", purposes: ["00", "18"])
        if r.segments.first?.id == "BHT" { r.code(0, 6, ["31", "CH", "RP"]) }
        let levels = r.checkHierarchy(parents: parents)
        for index in r.segments.indices { r.checkElements(index) }
        checkHeader(&r)
        checkLevels(&r, levels: levels)
        for claim in r.transactionSet.loops(startingWith: "CLM", endingBefore: ["HL"]) { checkClaim(&r, claim) }
    }

    /// 1000A (NM1*41 + PER*IC) and 1000B (NM1*40) between the BHT and the first HL.
    static func checkHeader(_ r: inout StructureReport) {
        let firstHL = r.segments.firstIndex { $0.id == "HL" } ?? r.segments.count
        let header = Array(r.segments[0..<firstHL])
        let submitter = header.firstIndex { $0.id == "NM1" && $0[1] == "41" }
        let receiver = header.firstIndex { $0.id == "NM1" && $0[1] == "40" }
        guard let submitter else { return r.add(min(1, firstHL), "loop 1000A (NM1*41, the submitter) is missing") }
        r.code(submitter, 8, ["46"])
        if !(header.dropFirst(submitter + 1).prefix { $0.id != "NM1" }.contains { $0.id == "PER" && $0[1] == "IC" }) {
            r.add(submitter, "loop 1000A needs PER*IC (the submitter's contact)")
        }
        guard let receiver, receiver > submitter else {
            return r.add(firstHL, "loop 1000B (NM1*40, the receiver) must follow 1000A before the first HL")
        }
        r.code(receiver, 8, ["46"])
        if firstHL == r.segments.count { r.add(firstHL, "no HL: the set has no billing provider, subscriber or claim") }
    }

    /// What each HL level holds: 2010AA under 20; SBR, 2010BA, 2010BB under 22; PAT, 2010CA under 23; claims at the bottom.
    static func checkLevels(_ r: inout StructureReport, levels: [String: String]) {
        for level in r.transactionSet.hierarchicalLevels {
            let hl = level.segments.startIndex
            let body = level.segments.dropFirst()
            let nm1 = body.filter { $0.id == "NM1" }.map { $0[1] }
            let claims = body.filter { $0.id == "CLM" }.count
            switch level.levelCode {
            case "20":
                guard let at = body.firstIndex(where: { $0.id == "NM1" && $0[1] == "85" }) else {
                    r.add(hl, "loop 2010AA (NM1*85, the billing provider) is missing under this HL 20"); continue
                }
                r.code(at, 8, ["XX"])
                let loop = body[(at + 1)...].prefix { $0.id != "NM1" }
                for id in ["N3", "N4"] where !loop.contains(where: { $0.id == id }) { r.add(at, "loop 2010AA needs \(id)") }
                if let ref = loop.firstIndex(where: { $0.id == "REF" && ["EI", "SY"].contains($0[1]) }) {
                    r.require(ref, r.segments[ref][2].count == 9 && r.segments[ref][2].allSatisfy(\.isNumber),
                              "REF02 \"\(r.segments[ref][2])\" must be the 9-digit tax id")
                } else {
                    r.add(at, "loop 2010AA needs REF*EI (the billing provider's tax id)")
                }
            case "22":
                guard body.first?.id == "SBR", let sbr = body.indices.first else {
                    r.add(hl, "an HL 22 (subscriber) must be followed by SBR"); continue
                }
                r.code(sbr, 1, payerSequence)
                r.code(sbr, 2, ["18"], required: false)
                r.code(sbr, 9, filingIndicators)
                let subscriber = nm1.firstIndex(of: "IL"), payer = nm1.firstIndex(of: "PR")
                if subscriber == nil { r.add(hl, "loop 2010BA (NM1*IL, the subscriber) is missing") }
                if payer == nil { r.add(hl, "loop 2010BB (NM1*PR, the payer) is missing") }
                if let subscriber, let payer, payer < subscriber { r.add(hl, "loop 2010BA must come before 2010BB") }
                if let at = body.firstIndex(where: { $0.id == "NM1" && $0[1] == "PR" }) { r.code(at, 8, ["PI", "XV"]) }
                checkClaimPlacement(&r, hl: hl, claims: claims, bottom: !level.hasChildren)
            case "23":
                guard body.first?.id == "PAT", let pat = body.indices.first else {
                    r.add(hl, "an HL 23 (patient) must be followed by PAT"); continue
                }
                r.code(pat, 1, patientRelationships)
                if !nm1.contains("QC") { r.add(hl, "loop 2010CA (NM1*QC, the patient) is missing") }
                checkClaimPlacement(&r, hl: hl, claims: claims, bottom: true)
            default:
                if claims > 0 { r.add(hl, "claims must sit under an HL 22 or 23") }
            }
        }
    }

    static func checkClaimPlacement(_ r: inout StructureReport, hl: Int, claims: Int, bottom: Bool) {
        if bottom && claims == 0 { r.add(hl, "this HL is the lowest level but has no claim (CLM)") }
        if !bottom && claims > 0 { r.add(hl, "claims belong under the patient's HL 23, not under a subscriber with dependents") }
    }

    /// One 2300 with its 2400s.
    static func checkClaim(_ r: inout StructureReport, _ claim: ArraySlice<X12Segment>) {
        let at = claim.startIndex, clm = claim[at]
        r.length(at, 1, 1...38)
        r.amount(at, 2)
        r.require(at, clm.component(5, 1).count == 2 && clm.component(5, 1).allSatisfy(\.isNumber),
                  "CLM05-1 \"\(clm.component(5, 1))\" must be a 2-digit place of service")
        r.require(at, clm.component(5, 2) == "B", "CLM05-2 must be B (place of service codes)")
        r.require(at, ["1", "7", "8"].contains(clm.component(5, 3)), "CLM05-3 \"\(clm.component(5, 3))\" must be 1, 7 or 8")
        r.code(at, 6, ["Y", "N"])
        r.code(at, 7, ["A", "B", "C"])
        r.code(at, 8, ["N", "W", "Y"])
        r.code(at, 9, ["I", "Y"])
        r.code(at, 19, ["PB"], required: false)
        let predetermination = clm[19] == "PB"
        let lineStarts = claim.indices.filter { claim[$0].id == "LX" }
        let beforeLines = claim[..<(lineStarts.first ?? claim.endIndex)]
        if ["7", "8"].contains(clm.component(5, 3)) && !beforeLines.contains(where: { $0.id == "REF" && $0[1] == "F8" }) {
            r.add(at, "a replacement or void (CLM05-3 \(clm.component(5, 3))) needs REF*F8 with the payer's claim number")
        }
        var diagnoses = 0
        if let hi = beforeLines.firstIndex(where: { $0.id == "HI" }) {
            let codes = r.segments[hi].elements.map { $0.repetitions[0][0] }
            diagnoses = codes.count
            r.require(hi, codes.count <= 4, "an 837D carries at most 4 diagnoses")
            for (n, qualifier) in codes.enumerated() where !(n == 0 ? ["ABK", "BK"] : ["ABF", "BF"]).contains(qualifier) {
                r.add(hi, "HI\(StructureReport.two(n + 1))-1 \"\(qualifier)\" should be \(n == 0 ? "ABK" : "ABF")")
            }
        }
        guard !lineStarts.isEmpty else { return r.add(at, "the claim has no service line (2400 LX + SV3)") }
        let claimDated = beforeLines.contains { $0.id == "DTP" && $0[1] == "472" }
        var sum: Int64? = 0
        for (n, start) in lineStarts.enumerated() {
            let end = n + 1 < lineStarts.count ? lineStarts[n + 1] : claim.endIndex
            let line = claim[start..<end]
            r.require(start, claim[start][1] == String(n + 1), "LX01 \"\(claim[start][1])\" should be \(n + 1): lines count 1..n in each claim")
            let lineDated = line.contains { $0.id == "DTP" && $0[1] == "472" }
            if predetermination && (lineDated || claimDated) {
                r.add(start, "a predetermination (CLM19 PB) has no service date (DTP*472)")
            } else if !predetermination && !lineDated && !claimDated {
                r.add(start, "the line has no service date: DTP*472 on the line or the claim")
            }
            guard line.count > 1, line[start + 1].id == "SV3" else {
                r.add(start, "SV3 must follow LX"); sum = nil; continue
            }
            let sv3 = start + 1
            r.require(sv3, line[sv3].component(1, 1) == "AD", "SV301-1 must be AD (CDT codes)")
            let code = line[sv3].component(1, 2)
            r.require(sv3, code.count == 5 && code.hasPrefix("D") && code.dropFirst().allSatisfy(\.isNumber),
                      "SV301-2 \"\(code)\" is not a CDT code (D and 4 digits)")
            r.amount(sv3, 2)
            if let amount = StructureReport.minorUnits(line[sv3][2]), let total = sum { sum = total + amount } else { sum = nil }
            let pointers = line[sv3].element(11)?.repetitions.first?.filter { !$0.isEmpty } ?? []
            for pointer in pointers where Int(pointer).map({ $0 < 1 || $0 > diagnoses }) ?? true {
                r.add(sv3, "SV311 pointer \"\(pointer)\" does not name one of the claim's \(diagnoses) diagnoses")
            }
            for too in line.indices where line[too].id == "TOO" { checkTooth(&r, too) }
        }
        if let sum, let total = StructureReport.minorUnits(clm[2]), sum != total {
            r.add(at, "CLM02 \(clm[2]) is not the sum of the lines' SV302 (\(ClaimX12Values.amount(Money(amount: sum, currency: "USD"))))")
        }
    }

    static func checkTooth(_ r: inout StructureReport, _ index: Int) {
        let too = r.segments[index]
        r.code(index, 1, ["JP"])
        if !isTooth(too[2]) { r.add(index, "TOO02 \"\(too[2])\" is not a tooth (1–32, 51–82, A–T, AS–TS)") }
        let given = too.element(3)?.repetitions.first?.filter { !$0.isEmpty } ?? []
        r.require(index, given.count <= 5, "TOO03 has at most 5 surfaces")
        for surface in given where !surfaces.contains(surface) {
            r.add(index, "TOO03 surface \"\(surface)\" is not one of B, D, F, I, L, M, O")
        }
    }

    /// Universal numbering: permanent 1–32 (supernumerary 51–82), primary A–T (supernumerary AS–TS).
    static func isTooth(_ text: String) -> Bool {
        if let n = Int(text), text.first != "0" { return (1...32).contains(n) || (51...82).contains(n) }
        let letters = Array(text)
        guard let first = letters.first, ("A"..."T").contains(first) else { return false }
        return letters.count == 1 || (letters.count == 2 && letters[1] == "S")
    }
}
