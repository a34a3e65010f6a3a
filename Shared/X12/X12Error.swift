/// What can be wrong with an interchange, said so that a person can find it: `segment` is the
/// 1-based position of the segment in the file (the ISA is 1), elements are named as in the
/// implementation guides (SE01, IEA02).
public enum X12Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text does not begin with an ISA segment; `found` is how it begins.
    case notX12(found: String)
    /// The ISA is not the fixed-width, 106-character segment 5010 requires.
    case malformedISA(element: String?, reason: String)
    /// Two delimiters declared in the ISA are the same character.
    case separatorsCollide(String, String, character: Unicode.Scalar)
    /// A segment that cannot be read at all (its id is not an X12 segment id).
    case malformedSegment(segment: Int, reason: String)
    /// A segment where the envelope does not allow it (an ST outside GS/GE, a GS before a GE…).
    case unexpectedSegment(segment: Int, id: String, reason: String)
    /// The text ends before a trailer (SE, GE or IEA) that an open header needs.
    case missingSegment(id: String, afterSegment: Int, reason: String)
    /// A trailer's count (SE01, GE01, IEA01) differs from what the file holds.
    case countMismatch(segment: Int, element: String, declared: String, counted: Int)
    /// A trailer's control number (SE02, GE02, IEA02) differs from its header's (ST02, GS06, ISA13).
    case controlNumberMismatch(segment: Int, element: String, value: String, mustMatch: String, expected: String)
    /// ST01 names a transaction set this module does not know.
    case unknownTransaction(segment: Int, id: String)
    /// The writer was given a value it cannot write without escaping (X12 has no escapes).
    case unwritable(location: String, value: String, reason: String)

    /// The 1-based position in the file of the segment at fault, when there is one.
    public var segment: Int? {
        switch self {
        case .notX12: nil
        case .malformedISA, .separatorsCollide: 1
        case .malformedSegment(let segment, _), .unexpectedSegment(let segment, _, _),
            .countMismatch(let segment, _, _, _), .controlNumberMismatch(let segment, _, _, _, _),
            .unknownTransaction(let segment, _):
            segment
        case .missingSegment(_, let after, _): after + 1
        case .unwritable: nil
        }
    }

    public var description: String {
        switch self {
        case .notX12(let found):
            return found.isEmpty
                ? "not an X12 interchange: the text is empty"
                : "not an X12 interchange: it must start with an ISA segment, but it starts with \"\(found)\""
        case .malformedISA(let element, let reason):
            return "segment 1 (ISA)" + (element.map { ", \($0)" } ?? "") + ": " + reason
        case .separatorsCollide(let first, let second, let character):
            return "segment 1 (ISA): the \(first) and the \(second) are both \(Self.show(character)); "
                + "each delimiter must be a different character"
        case .malformedSegment(let segment, let reason):
            return "segment \(segment): \(reason)"
        case .unexpectedSegment(let segment, let id, let reason):
            return "segment \(segment) (\(id)): \(reason)"
        case .missingSegment(let id, let after, let reason):
            return "missing \(id) after segment \(after): \(reason)"
        case .countMismatch(let segment, let element, let declared, let counted):
            let id = String(element.prefix { $0.isLetter })
            let what = switch id {
            case "SE": "segments were counted from ST to SE inclusive"
            case "GE": "transaction sets (ST) are in the group"
            default: "functional groups (GS) are in the interchange"
            }
            return "segment \(segment) (\(id)): \(element) says \(declared) but \(counted) \(what)"
        case .controlNumberMismatch(let segment, let element, let value, let mustMatch, let expected):
            let id = String(element.prefix { $0.isLetter })
            return "segment \(segment) (\(id)): \(element) is \"\(value)\" but \(mustMatch) is \"\(expected)\"; "
                + "a trailer repeats its header's control number"
        case .unknownTransaction(let segment, let id):
            let known = X12TransactionSet.knownIDs.sorted().joined(separator: ", ")
            return "segment \(segment) (ST): ST01 \"\(id)\" is not a transaction set this module knows (\(known))"
        case .unwritable(let location, let value, let reason):
            return "cannot write \(location) \"\(value)\": \(reason)"
        }
    }

    /// A delimiter as a person can read it, newlines included.
    static func show(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": "\"\\n\""
        case "\r": "\"\\r\""
        case "\t": "\"\\t\""
        case " ": "a space"
        default: "\"\(scalar)\""
        }
    }
}
