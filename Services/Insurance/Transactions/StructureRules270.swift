import X12

/// The 270 (005010X279A1) rules listed at the top of StructureCheck.swift.
enum StructureRules270 {
    static let guide = "the 270 (005010X279A1)"
    /// Each HL level and the level of its parent (none at the top).
    static let parents: [String: String?] = ["20": nil, "21": "20", "22": "21", "23": "22"]
    static let known: Set<String> = ["BHT", "HL", "TRN", "NM1", "REF", "N3", "N4", "PRV", "DMG", "INS", "HI", "DTP", "EQ", "AMT", "III"]

    static func check(_ r: inout StructureReport) {
        r.checkKnownSegments(known, guide: guide)
        r.checkBHT(structure: "0022", purposes: ["01", "13"])
        r.checkHierarchy(parents: parents)
        for index in r.segments.indices { r.checkElements(index) }
        if let first = r.segments.indices.dropFirst().first, r.segments[first].id != "HL" {
            r.add(first, "the BHT must be followed by the HL of the payer (2000A)")
        }
        for level in r.transactionSet.hierarchicalLevels { checkLevel(&r, level) }
    }

    static func checkLevel(_ r: inout StructureReport, _ level: X12HierarchicalLevel) {
        let hl = level.segments.startIndex
        let body = level.segments.dropFirst()
        let name = body.firstIndex { $0.id == "NM1" }
        switch level.levelCode {
        case "20":
            guard let name else { return r.add(hl, "loop 2100A (NM1, the payer) is missing") }
            r.code(name, 1, ["PR", "2B", "36", "GP", "P5"])
            r.code(name, 8, ["24", "46", "FI", "NI", "PI", "XV", "XX"])
        case "21":
            guard let name else { return r.add(hl, "loop 2100B (NM1, the information receiver) is missing") }
            r.code(name, 1, ["1P", "2B", "36", "80", "FA", "GP", "P5", "PR"])
            r.code(name, 8, ["24", "34", "46", "FI", "PI", "PP", "SV", "XV", "XX"])
        case "22":
            guard let name else { return r.add(hl, "loop 2100C (NM1*IL, the subscriber) is missing") }
            r.code(name, 1, ["IL"])
            r.code(name, 8, ["II", "MI"], required: false)
            checkPatientLoop(&r, level, isPatient: !level.hasChildren, loop: "2000C")
        case "23":
            guard let name else { return r.add(hl, "loop 2100D (NM1*03, the dependent) is missing") }
            r.code(name, 1, ["03"])
            if !r.segments[name][8].isEmpty { r.add(name, "NM108/NM109 are not used for a dependent: the member id is the subscriber's") }
            checkPatientLoop(&r, level, isPatient: true, loop: "2000D")
        default:
            break
        }
        // TRN sits between the HL and the NM1; EQ, DTP and the rest after the NM1.
        for index in body.indices where body[index].id == "TRN" {
            if let name, index > name { r.add(index, "TRN must come before the NM1 of its level") }
        }
    }

    /// The patient's level carries TRN and the EQ questions; a subscriber level with dependents carries neither.
    static func checkPatientLoop(_ r: inout StructureReport, _ level: X12HierarchicalLevel, isPatient: Bool, loop: String) {
        let hl = level.segments.startIndex
        let trns = level.segments.indices.filter { r.segments[$0].id == "TRN" }
        let eqs = level.segments.indices.filter { r.segments[$0].id == "EQ" }
        if !isPatient {
            for index in trns + eqs { r.add(index, "\(r.segments[index].id) belongs in the dependent's loop (2000D), not the subscriber's") }
            return
        }
        if trns.isEmpty { r.add(hl, "loop \(loop) is the patient's: it needs TRN (the trace number)") }
        if eqs.isEmpty { r.add(hl, "loop \(loop) is the patient's: it needs at least one EQ (what is asked)") }
        for index in trns {
            r.code(index, 1, ["1"])
            r.length(index, 2, 1...50)
            let originator = r.segments[index][3]
            r.require(index, originator.count == 10 && ["1", "3", "9"].contains(originator.first.map(String.init) ?? ""),
                      "TRN03 \"\(originator)\" must be 10 characters starting with 1, 3 or 9")
        }
        for index in eqs {
            let eq = r.segments[index]
            let types = eq.element(1)?.repetitions.map { $0[0] }.filter { !$0.isEmpty } ?? []
            r.require(index, !types.isEmpty || !eq[2].isEmpty, "EQ needs EQ01 (service type) or EQ02 (procedure)")
            for type in types where !(1...2).contains(type.count) || !type.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }) {
                r.add(index, "EQ01 \"\(type)\" is not a service type code")
            }
        }
        for index in level.segments.indices where r.segments[index].id == "DTP" {
            r.code(index, 1, ["102", "291"])
        }
    }
}
