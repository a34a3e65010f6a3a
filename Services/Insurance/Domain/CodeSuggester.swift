import Contracts

/// One entry of the practice's own fee schedule: its code, its words for it and its fee.
public struct PracticeFeeEntry: Codable, Hashable, Sendable {
    public var code: String
    public var description: String
    public var fee: Money

    public init(code: String, description: String, fee: Money) {
        self.code = code
        self.description = description
        self.fee = fee
    }
}

/// Suggests a code for a charge whose code is missing or malformed, from the fee schedule entry whose description
/// reads most like the charge's. Only a suggestion: a person accepts it, the scrubber never applies it.
public enum CodeSuggester {
    /// The lowest similarity (Dice coefficient of the word sets, 0–1) that counts as a match: clearly more than
    /// half the words agree ("crown" alone does not pick one of the practice's crowns).
    public static let threshold = 0.6

    /// Words that say nothing about the procedure.
    static let fillerWords: Set<String> = ["a", "an", "the", "of", "and", "or", "per", "with", "w", "to", "on", "for"]

    /// A code needs a suggestion when it is missing or not a code of its system.
    public static func needsSuggestion(_ procedure: Procedure) -> Bool {
        let code = ClaimCodeFormat.normalizedProcedureCode(procedure.code)
        return code.isEmpty || !ClaimCodeFormat.isValid(code, system: procedure.codeSystem)
    }

    /// The best fee schedule entry for the procedure's description, or nil when none is close enough.
    /// Deterministic: the highest score wins, then the most shared words, then the lowest code.
    public static func suggest(for procedure: Procedure, feeSchedule: [PracticeFeeEntry]) -> CodeSuggestion? {
        guard let description = procedure.description else { return nil }
        let wanted = words(description)
        guard !wanted.isEmpty else { return nil }
        let systems: [CodeSystem] = procedure.codeSystem == .cdt ? [.cdt] : [.cpt, .hcpcs]
        var best: (score: Double, shared: Int, code: String, entry: PracticeFeeEntry)?
        for entry in feeSchedule {
            let code = ClaimCodeFormat.normalizedProcedureCode(entry.code)
            guard systems.contains(where: { ClaimCodeFormat.isValid(code, system: $0) }) else { continue }
            let offered = words(entry.description)
            let shared = sharedWords(wanted, offered)
            let score = Double(2 * shared) / Double(wanted.count + offered.count)
            guard score >= threshold else { continue }
            if let current = best,
               (current.score, current.shared) > (score, shared)
               || ((current.score, current.shared) == (score, shared) && current.code <= code) { continue }
            best = (score, shared, code, entry)
        }
        guard let best else { return nil }
        return CodeSuggestion(
            code: best.code,
            reason: "description '\(description)' matches fee schedule \(best.code) '\(best.entry.description)'")
    }

    /// The claim with a suggestion on each line whose code is missing or malformed; codes are left as they are.
    public static func annotate(_ claim: Claim, feeSchedule: [PracticeFeeEntry]) -> Claim {
        var claim = claim
        for index in claim.lines.indices {
            let procedure = claim.lines[index].procedure
            claim.lines[index].suggestion = needsSuggestion(procedure)
                ? suggest(for: procedure, feeSchedule: feeSchedule) : nil
        }
        return claim
    }

    /// "Resin comp. - 2 surfaces" → ["resin", "comp", "two", "surfaces"]: lower case, punctuation gone, small
    /// numbers as words (fee schedules write both), filler words and repeats dropped.
    static func words(_ text: String) -> [String] {
        let numbers = ["1": "one", "2": "two", "3": "three", "4": "four", "5": "five"]
        var result: [String] = []
        let pieces = text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
        for piece in pieces {
            let word = numbers[piece] ?? piece
            if !fillerWords.contains(word) && !result.contains(word) { result.append(word) }
        }
        return result
    }

    /// How many words of `a` have a partner in `b`: the same word, or an abbreviation of at least four letters
    /// ("prophy" for "prophylaxis", "surf" for "surfaces"). Each word of `b` is a partner once.
    static func sharedWords(_ a: [String], _ b: [String]) -> Int {
        var unused = b
        var shared = 0
        for word in a {
            let partner = unused.firstIndex(of: word) ?? unused.firstIndex { other in
                let (short, long) = word.count <= other.count ? (word, other) : (other, word)
                return short.count >= 4 && long.hasPrefix(short)
            }
            if let partner {
                unused.remove(at: partner)
                shared += 1
            }
        }
        return shared
    }
}
