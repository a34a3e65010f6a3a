/// Keeps payment card numbers out of the suite. We take payment tokens from the processor, never card
/// numbers, so a card number typed into a note or a memo is refused at the door and removed from logs.
///
/// What counts as a card number: 13 to 19 ASCII digits that pass the Luhn check, written either unbroken
/// or in groups separated by a single space or a single dash ("4242 4242 4242 4242", "4242-4242-...").
///
/// How long digit runs are read:
/// - Digits joined by single spaces or dashes form one run of groups. Any stretch of whole groups with
///   13–19 digits is a candidate, so "4242 4242 4242 4242 12" (card then an expiry month) is still caught.
/// - An unbroken block of more than 19 digits is never a card: it is an id or a trace number, and checking
///   every 13–19 digit window inside it would flag about one in ten such ids by chance.
/// - Runs shorter than 13 digits (phone numbers, 10-digit ids, dates) can never match.
/// - Groups are a card only when written as cards are printed (`cardLike`): a UUID's digit groups are an id.
/// - Digits inside a hexadecimal token of 32 or more characters with letters in it (a SHA-256 digest, a
///   hex id) are part of that token, never a card: about one SHA-256 hex digest in 230 holds a Luhn-valid run.
/// A stray match is possible when unrelated numbers are strung together with single spaces; refusing such
/// text is the safer mistake.
public enum CardNumbers {
    /// What replaces a card number in redacted text. It contains no digits.
    public static let mask = "[card number removed]"

    public static func containsCardNumber(_ text: String) -> Bool {
        !cardRanges(in: Array(text)).isEmpty
    }

    /// The text with every card number replaced by `mask`; other text, and other digits, are kept.
    public static func redact(_ text: String) -> String {
        let characters = Array(text)
        let ranges = cardRanges(in: characters)
        guard !ranges.isEmpty else { return text }
        var result = ""
        var position = 0
        for range in ranges {
            result += String(characters[position..<range.lowerBound])
            result += mask
            position = range.upperBound
        }
        result += String(characters[position...])
        return result
    }

    /// The first field that holds a card number, as a message that names the field but never repeats the
    /// digits (the message may be logged or returned to the caller).
    public static func firstProblem(in fields: [(name: String, value: String?)]) -> String? {
        for field in fields {
            guard let value = field.value, containsCardNumber(value) else { continue }
            return "\(field.name) contains what looks like a card number; "
                + "card numbers are never accepted — use a payment token"
        }
        return nil
    }

    /// The Luhn (mod 10) check used by every card scheme: double every second digit from the right.
    public static func passesLuhn(_ digits: [UInt8]) -> Bool {
        guard !digits.isEmpty else { return false }
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            var value = Int(digit)
            if offset % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    // MARK: - Finding runs

    /// A block of consecutive digits: where it sits in the text (character offsets) and its digit values.
    struct DigitGroup {
        var start: Int
        var end: Int
        var digits: [UInt8]
        /// A letter right before or after the group.
        var touchesLetter = false
        /// Part of a long hexadecimal token (a digest).
        var inHexToken = false
    }

    /// A hex token is at least this long: a digest (MD5 32, SHA-256 64), never a card with letters glued on.
    static let hexTokenLength = 32

    static let cardLengths = 13...19

    /// Whether groups are written as cards are printed: 4-4-4-4(-3), 4-6-5, 4-6-4 — a first group of four,
    /// middle groups of four or six, a last group of at most six — and none glued to a letter. A UUID's
    /// "21808263-4061-4375" or "…-8304-0865560018d4" is an id, even when its digits pass the Luhn check
    /// (about one random UUID in 7,000 would).
    static func cardLike(_ groups: ArraySlice<DigitGroup>) -> Bool {
        guard let first = groups.first, let last = groups.last, first.digits.count == 4, last.digits.count <= 6 else {
            return false
        }
        return groups.dropFirst().dropLast().allSatisfy { [4, 6].contains($0.digits.count) }
            && !groups.contains { $0.touchesLetter }
    }

    /// Character ranges to mask, in order and not overlapping.
    static func cardRanges(in characters: [Character]) -> [Range<Int>] {
        var found: [Range<Int>] = []
        for run in digitRuns(in: characters) where !(run.count == 1 && run[0].inHexToken) {
            for first in run.indices {
                var digits: [UInt8] = []
                for last in first..<run.count {
                    // Groups glued to a letter belong to an id ("…-8304-0865560018d4" in a UUID), not to a
                    // card number written in groups; an unbroken block is judged by its digits alone.
                    if last > first, !cardLike(run[first...last]) { break }
                    digits += run[last].digits
                    if digits.count > cardLengths.upperBound { break }
                    if cardLengths.contains(digits.count) && passesLuhn(digits) {
                        found.append(run[first].start..<run[last].end)
                    }
                }
            }
        }
        return merged(found)
    }

    /// Splits the text into runs: groups of digits joined by exactly one space or dash.
    static func digitRuns(in characters: [Character]) -> [[DigitGroup]] {
        var runs: [[DigitGroup]] = []
        var run: [DigitGroup] = []
        var index = 0
        while index < characters.count {
            guard let digit = digitValue(characters[index]) else {
                index += 1
                continue
            }
            var group = DigitGroup(start: index, end: index + 1, digits: [digit])
            index += 1
            while index < characters.count, let next = digitValue(characters[index]) {
                group.digits.append(next)
                index += 1
                group.end = index
            }
            group.touchesLetter = (group.start > 0 && characters[group.start - 1].isLetter)
                || (group.end < characters.count && characters[group.end].isLetter)
            group.inHexToken = group.touchesLetter && isInHexToken(characters, group.start..<group.end)
            run.append(group)
            let joined = index + 1 < characters.count
                && (characters[index] == " " || characters[index] == "-")
                && digitValue(characters[index + 1]) != nil
            if joined {
                index += 1
            } else {
                runs.append(run)
                run = []
            }
        }
        return runs
    }

    /// Whether `range` lies in an unbroken stretch of at least `hexTokenLength` hex digits with a letter in it.
    static func isInHexToken(_ characters: [Character], _ range: Range<Int>) -> Bool {
        var start = range.lowerBound, end = range.upperBound
        while start > 0, characters[start - 1].isHexDigit { start -= 1 }
        while end < characters.count, characters[end].isHexDigit { end += 1 }
        return end - start >= hexTokenLength && characters[start..<end].contains { $0.isLetter }
    }

    static func digitValue(_ character: Character) -> UInt8? {
        guard let ascii = character.asciiValue, ascii >= 48, ascii <= 57 else { return nil }
        return ascii - 48
    }

    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}
