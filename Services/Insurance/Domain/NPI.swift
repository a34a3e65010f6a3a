/// The National Provider Identifier's check digit.
///
/// An NPI is ten digits; the last one is a Luhn check digit computed over the card-issuer prefix "80840"
/// followed by the first nine digits (the NPI is an ISO 7812 identifier in the health industry's range).
public enum NPI {
    /// True when `npi` is exactly ten ASCII digits and its check digit is right.
    public static func isValid(_ npi: String) -> Bool {
        let digits = npi.utf8.map { Int($0) - 48 }
        guard digits.count == 10, digits.allSatisfy({ (0...9).contains($0) }) else { return false }
        return checkDigit(forFirstNine: Array(digits.prefix(9))) == digits[9]
    }

    /// The check digit for nine digits: Luhn over "80840" + the nine, doubling every second digit from the right
    /// (the check digit's own position counts as the first).
    static func checkDigit(forFirstNine nine: [Int]) -> Int {
        let payload = [8, 0, 8, 4, 0] + nine
        var sum = 0
        for (offset, digit) in payload.reversed().enumerated() {
            if offset % 2 == 0 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return (10 - sum % 10) % 10
    }
}
