/// Universal tooth numbering as US dental claims (837D) use it: permanent teeth 1–32, primary teeth A–T,
/// supernumerary teeth 51–82 (permanent + 50) and AS–TS (primary + S).
enum ToothChart {
    /// The surfaces a claim may name: mesial, occlusal, distal, buccal, facial, lingual, incisal.
    static let surfaces: Set<String> = ["M", "O", "D", "B", "F", "L", "I"]

    /// The tooth a number stands for, supernumerary teeth counted as their neighbour ("51" → "1", "AS" → "A");
    /// nil when the text is not a tooth.
    static func baseTooth(_ tooth: String) -> String? {
        if let n = Int(tooth), String(n) == tooth {
            if (1...32).contains(n) { return String(n) }
            if (51...82).contains(n) { return String(n - 50) }
            return nil
        }
        let letters = Array(tooth)
        let primary: ClosedRange<Character> = "A"..."T"
        if letters.count == 1, primary.contains(letters[0]) { return tooth }
        if letters.count == 2, primary.contains(letters[0]), letters[1] == "S" { return String(letters[0]) }
        return nil
    }

    /// Incisors and canines: permanent 6–11 and 22–27, primary C–H and M–R. Occlusal surfaces belong to the
    /// others (posterior), incisal edges to these.
    static func isAnterior(_ tooth: String) -> Bool {
        guard let base = baseTooth(tooth) else { return false }
        if let n = Int(base) { return (6...11).contains(n) || (22...27).contains(n) }
        let c = Character(base)
        return ("C"..."H").contains(c) || ("M"..."R").contains(c)
    }

    /// "03 " → "3", " a" → "A": the tooth as the chart writes it.
    static func normalized(_ tooth: String) -> String {
        let t = ClaimCodeFormat.trimmed(tooth).uppercased()
        if let n = Int(t), n >= 0, t.allSatisfy(\.isNumber) { return String(n) }
        return t
    }

    /// CDT ranges whose procedures are done on one tooth, so the claim must name it. Kept short on purpose:
    /// sealants and caries arrest per tooth (D1351–D1354), restorations, inlays, crowns, posts and buildups
    /// (D2000–D2999), endodontics (D3000–D3999), implant services (D6010–D6199), fixed bridge pontics and
    /// retainers (D6200–D6999), extractions (D7111–D7250).
    static let toothRanges: [ClosedRange<Int>] = [1351...1354, 2000...2999, 3000...3999, 6010...6199, 6200...6999, 7111...7250]

    static func needsTooth(_ code: String) -> Bool {
        guard let n = ClaimCodeFormat.cdtNumber(code) else { return false }
        return toothRanges.contains { $0.contains(n) }
    }

    /// How many surfaces a restoration code stands for. The codes priced by surface count: amalgam
    /// (D2140–D2161), anterior resin (D2330–D2335) and posterior resin (D2391–D2394). D2390 (a resin crown)
    /// names no surfaces.
    static func surfaceRule(for code: String) -> ToothSurfaceRule? {
        switch ClaimCodeFormat.cdtNumber(code) {
        case 2140, 2330, 2391: return ToothSurfaceRule(minimum: 1, maximum: 1)
        case 2150, 2331, 2392: return ToothSurfaceRule(minimum: 2, maximum: 2)
        case 2160, 2332, 2393: return ToothSurfaceRule(minimum: 3, maximum: 3)
        case 2161, 2335, 2394: return ToothSurfaceRule(minimum: 4, maximum: nil)
        default: return nil
        }
    }

    /// The code of the same family for a surface count: D2392 with three surfaces → D2393.
    static func codeForSurfaceCount(like code: String, count: Int) -> String? {
        let families = [[2140, 2150, 2160, 2161], [2330, 2331, 2332, 2335], [2391, 2392, 2393, 2394]]
        guard count >= 1, let n = ClaimCodeFormat.cdtNumber(code),
              let family = families.first(where: { $0.contains(n) }) else { return nil }
        return "D\(family[min(count, 4) - 1])"
    }

    /// Codes that name the part of the mouth: resin on front teeth (D2330–D2335, D2390) and resin on back
    /// teeth (D2391–D2394); a payer denies them on the other kind of tooth.
    static func requiredSite(for code: String) -> ToothSite? {
        guard let n = ClaimCodeFormat.cdtNumber(code) else { return nil }
        if (2330...2335).contains(n) || n == 2390 { return .anterior }
        if (2391...2394).contains(n) { return .posterior }
        return nil
    }
}

enum ToothSite: String, Sendable {
    case anterior, posterior
}

/// The number of surfaces a code is priced for.
struct ToothSurfaceRule: Hashable, Sendable {
    var minimum: Int
    /// nil: "or more".
    var maximum: Int?

    func allows(_ count: Int) -> Bool { count >= minimum && count <= (maximum ?? Int.max) }

    /// "one surface", "two surfaces", "four or more surfaces".
    var words: String {
        let names = [1: "one", 2: "two", 3: "three", 4: "four"]
        let number = names[minimum] ?? String(minimum)
        let noun = minimum == 1 && maximum == 1 ? "surface" : "surfaces"
        return maximum == nil ? "\(number) or more \(noun)" : "\(number) \(noun)"
    }
}
