extension X12Interchange {
    /// Every count, control-number and transaction-id problem of the envelope, in file order:
    /// SE01/SE02 against the set, GE01/GE02 against the group, IEA01/IEA02 against the interchange.
    public func envelopeErrors() -> [X12Error] {
        var errors: [X12Error] = []
        for group in functionalGroups {
            for set in group.transactionSets {
                let at = set.trailerPosition
                if !X12TransactionSet.knownIDs.contains(set.id) {
                    errors.append(.unknownTransaction(segment: set.position, id: set.id))
                }
                // SE01 counts ST and SE themselves.
                if let error = count(set.trailer[1], counted: set.segments.count + 2, element: "SE01", at: at) {
                    errors.append(error)
                }
                if set.trailer[2] != set.controlNumber {
                    errors.append(.controlNumberMismatch(
                        segment: at, element: "SE02", value: set.trailer[2], mustMatch: "ST02", expected: set.controlNumber))
                }
            }
            let at = group.trailerPosition
            if let error = count(group.trailer[1], counted: group.transactionSets.count, element: "GE01", at: at) {
                errors.append(error)
            }
            if !sameNumber(group.trailer[2], group.controlNumber) {
                errors.append(.controlNumberMismatch(
                    segment: at, element: "GE02", value: group.trailer[2], mustMatch: "GS06", expected: group.controlNumber))
            }
        }
        let at = trailerPosition
        if let error = count(trailer[1], counted: functionalGroups.count, element: "IEA01", at: at) {
            errors.append(error)
        }
        if !sameNumber(trailer[2], controlNumber) {
            errors.append(.controlNumberMismatch(
                segment: at, element: "IEA02", value: trailer[2], mustMatch: "ISA13", expected: controlNumber))
        }
        return errors
    }
}

private func count(_ declared: String, counted: Int, element: String, at position: Int) -> X12Error? {
    Int(declared) == counted ? nil : .countMismatch(segment: position, element: element, declared: declared, counted: counted)
}

/// GS06/GE02 and ISA13/IEA02 are numbers: "1" and "000000001" are the same control number.
private func sameNumber(_ a: String, _ b: String) -> Bool {
    if let x = UInt64(a), let y = UInt64(b) { return x == y }
    return a == b
}
