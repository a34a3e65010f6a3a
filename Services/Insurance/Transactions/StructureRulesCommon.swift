import X12

/// What the 837D and 270 rules share: element formats that do not depend on the loop, and the HL tree.
extension StructureReport {
    /// The formats of one segment wherever it appears (see the list at the top of StructureCheck.swift).
    mutating func checkElements(_ index: Int) {
        let s = segments[index]
        switch s.id {
        case "NM1":
            code(index, 2, ["1", "2"])
            length(index, 3, 0...60)
            length(index, 4, 0...35)
            length(index, 5, 0...25)
            if s[8].isEmpty != s[9].isEmpty { add(index, "NM108 and NM109 go together: one is missing") }
            length(index, 9, 0...80)
            if s[8] == "XX" && !NPI.isValid(s[9]) {
                add(index, "NM109 \"\(s[9])\" is not an NPI: 10 digits with a Luhn check digit over 80840 and the first nine")
            }
        case "N3":
            length(index, 1, 1...55)
            length(index, 2, 0...55)
        case "N4":
            length(index, 1, 2...30)
            length(index, 2, 0...2)
            length(index, 3, 0...15)
            if !s[3].isEmpty { length(index, 3, 3...15) }
        case "REF":
            length(index, 1, 2...3)
            length(index, 2, 1...50)
        case "PER":
            code(index, 1, ["IC"])
            length(index, 2, 0...60)
            for pair in [3, 5, 7] where !s[pair].isEmpty || !s[pair + 1].isEmpty {
                code(index, pair, ["TE", "EM", "FX", "EX"])
                length(index, pair + 1, 1...256)
            }
        case "PRV":
            code(index, 2, ["PXC"])
            length(index, 3, 10...10)
        case "DMG":
            code(index, 1, ["D8"])
            if s[1] == "D8" && !StructureReport.isDate(s[2]) { add(index, "DMG02 \"\(s[2])\" is not a CCYYMMDD date") }
            code(index, 3, ["F", "M", "U"], required: false)
        case "DTP":
            checkPeriod(index)
        default:
            break
        }
    }

    /// DTP02 D8 with a date, or RD8 with two dates in order.
    mutating func checkPeriod(_ index: Int) {
        let s = segments[index]
        switch s[2] {
        case "D8":
            if !StructureReport.isDate(s[3]) { add(index, "DTP03 \"\(s[3])\" is not a CCYYMMDD date") }
        case "RD8":
            let ends = s[3].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            if ends.count != 2 || !ends.allSatisfy(StructureReport.isDate) || ends[0] > ends[1] {
                add(index, "DTP03 \"\(s[3])\" is not a CCYYMMDD-CCYYMMDD range")
            }
        default:
            add(index, "DTP02 \"\(s[2])\" is not D8 or RD8")
        }
    }

    /// HL01 1, 2, 3…; HL02 names an earlier HL of the parent level (`parents[level]`, nil at the top);
    /// HL04 1 exactly when a child follows. Returns the level code of each HL id.
    @discardableResult
    mutating func checkHierarchy(parents: [String: String?]) -> [String: String] {
        var levels: [String: String] = [:]
        var childCount: [String: Int] = [:]
        var hls: [(index: Int, id: String)] = []
        for (index, s) in segments.enumerated() where s.id == "HL" {
            let expected = String(hls.count + 1)
            if s[1] != expected { add(index, "HL01 \"\(s[1])\" should be \(expected): HL ids count 1, 2, 3… in order") }
            hls.append((index, s[1]))
            guard let parentLevel = parents[s[3]] else {
                add(index, "HL03 \"\(s[3])\" is not a level of this guide (\(parents.keys.sorted().joined(separator: ", ")))")
                levels[s[1]] = s[3]
                continue
            }
            if let parentLevel {
                if let actual = levels[s[2]] {
                    if actual != parentLevel {
                        add(index, "HL02 \"\(s[2])\" is a level \(actual) HL; a level \(s[3]) HL belongs under a level \(parentLevel)")
                    }
                    childCount[s[2], default: 0] += 1
                } else {
                    add(index, "HL02 \"\(s[2])\" names no earlier HL; a level \(s[3]) HL belongs under a level \(parentLevel)")
                }
            } else if !s[2].isEmpty {
                add(index, "HL02 must be empty at level \(s[3]), the top of the hierarchy")
            }
            levels[s[1]] = s[3]
        }
        for (index, id) in hls {
            let hasChildren = (childCount[id] ?? 0) > 0
            switch segments[index][4] {
            case "1" where !hasChildren: add(index, "HL04 is 1 but no HL names HL \(id) as its parent")
            case "0" where hasChildren: add(index, "HL04 is 0 but HL \(id) has child HLs")
            case "0", "1": break
            default: add(index, "HL04 \"\(segments[index][4])\" must be 0 or 1")
            }
        }
        return levels
    }

    /// Segments the guide does not use at all.
    mutating func checkKnownSegments(_ known: Set<String>, guide: String) {
        for (index, s) in segments.enumerated() where !known.contains(s.id) {
            add(index, "\(s.id) is not a segment of \(guide)")
        }
    }

    /// BHT01–BHT05 (BHT06 is the guide's own).
    mutating func checkBHT(structure: String, purposes: Set<String>) {
        guard segments.first?.id == "BHT" else {
            add(0, "the first segment after ST must be BHT")
            return
        }
        code(0, 1, [structure])
        code(0, 2, purposes)
        length(0, 3, 1...50)
        let s = segments[0]
        if !StructureReport.isDate(s[4]) { add(0, "BHT04 \"\(s[4])\" is not a CCYYMMDD date") }
        if !StructureReport.isTime(s[5]) { add(0, "BHT05 \"\(s[5])\" is not an HHMM time") }
    }
}
