/// The four delimiters of an interchange. 5010 declares them in the ISA of each file, so a reader
/// takes them from there and never assumes `*`, `^`, `:` and `~`.
public struct X12Separators: Hashable, Sendable {
    /// Between elements: the character right after "ISA".
    public var element: Unicode.Scalar
    /// Between repetitions of an element: ISA11. `nil` when ISA11 is a code (the pre-5010 "U").
    public var repetition: Unicode.Scalar?
    /// Between the components of a composite element: ISA16.
    public var component: Unicode.Scalar
    /// After each segment: the character right after ISA16.
    public var segment: Unicode.Scalar

    public init(
        element: Unicode.Scalar = "*", repetition: Unicode.Scalar? = "^",
        component: Unicode.Scalar = ":", segment: Unicode.Scalar = "~"
    ) {
        self.element = element
        self.repetition = repetition
        self.component = component
        self.segment = segment
    }

    /// `*`, `^`, `:`, `~`: what most trading partners use.
    public static let standard = X12Separators()

    /// Each delimiter with the name a person reading an error knows it by.
    var named: [(name: String, scalar: Unicode.Scalar)] {
        var list: [(String, Unicode.Scalar)] = [("element separator (the character after \"ISA\")", element)]
        if let repetition { list.append(("repetition separator (ISA11)", repetition)) }
        list.append(("component separator (ISA16)", component))
        list.append(("segment terminator (the character after ISA16)", segment))
        return list
    }

    /// The first pair of delimiters that are the same character: a file using them cannot be split.
    func collision() -> X12Error? {
        let list = named
        for i in list.indices {
            for j in list.indices where j > i && list[i].scalar == list[j].scalar {
                return .separatorsCollide(list[i].name, list[j].name, character: list[i].scalar)
            }
        }
        return nil
    }

    /// Whether `scalar` is one of the delimiters, so may not appear inside a value.
    func contains(_ scalar: Unicode.Scalar) -> Bool {
        scalar == element || scalar == repetition || scalar == component || scalar == segment
    }
}
