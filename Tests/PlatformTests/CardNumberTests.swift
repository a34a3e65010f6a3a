import Privacy
import Testing

@Suite struct CardNumberTests {
    @Test(arguments: [
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "4000056655665556",
        "378282246310005",
        "3782 822463 10005",
        "5555-5555-5555-4444",
        "card 4242424242424242 exp 12/27",
        "Paid with 4242 4242 4242 4242 12 26 at the desk",
        "(4242424242424242)",
    ])
    func cardNumbersAreFound(text: String) {
        #expect(CardNumbers.containsCardNumber(text))
    }

    @Test(arguments: [
        "4242 4242 4242 4241",  // fails the Luhn check
        "424242424242",  // 12 digits
        "+1 555 123 4567",
        "(555) 123-4567",
        "call 555-123-4567 or 555-987-6543",
        "member id 1234567890",
        "2024-01-15",
        "2024-01-15 2024-02-15",
        "TRN*1*12345678901234567*1512345678~",  // X12 trace number, not Luhn valid
        "94242424242424242999",  // an unbroken 20-digit reference is never read as a card
        "4242  4242  4242  4242",  // double spaces end a run
        "Amount $1,234.56 on 11/24/2026",
    ])
    func otherNumbersAreNot(text: String) {
        #expect(!CardNumbers.containsCardNumber(text))
    }

    /// UUIDs whose digit groups, joined across the dashes, pass the Luhn check: ids, not cards.
    @Test(arguments: ["f13a558d-3c70-4112-8304-0865560018d4", "idempotency f13a558d-3c70-4112-8304-0865560018d4 sent",
                      "21808263-4061-4375-b1eb-fe27eea55af9"])
    func uuidsAreNotCardNumbers(text: String) {
        #expect(!CardNumbers.containsCardNumber(text))
    }

    @Test func aCardGluedToAWordIsStillACard() {
        #expect(CardNumbers.containsCardNumber("visa4242424242424242"))
        #expect(CardNumbers.containsCardNumber("ref abc4242424242424242def"))
    }

    @Test func aDigestWhoseDigitsHoldALuhnValidRunIsADigestNotACard() {
        // A SHA-256 hex digest (an agreement's, signed by a patient) with 4242424242424242 inside it.
        let digest = "9f86d081884c7d6a" + "4242424242424242" + "b0f00a08d4c3e5f1a2b3c4d5e6f7a8b9"
        #expect(digest.count == 64)
        #expect(!CardNumbers.containsCardNumber(digest))
        #expect(!CardNumbers.containsCardNumber("agreementSHA256: \(digest)"))
        // A short hex word is no digest: the card in it is caught.
        #expect(CardNumbers.containsCardNumber("9f86d08a" + "4242424242424242" + "b0f0"))
    }

    @Test func redactionRemovesEveryCardDigit() {
        let text = "Card 4242 4242 4242 4242 and 5555-5555-5555-4444, call 555-123-4567"
        let redacted = CardNumbers.redact(text)
        #expect(redacted == "Card [card number removed] and [card number removed], call 555-123-4567")
        #expect(!redacted.contains("4242"))
        #expect(!redacted.contains("4444"))
        #expect(!CardNumbers.containsCardNumber(redacted))
    }

    @Test func redactionKeepsDigitsAroundTheCard() {
        #expect(CardNumbers.redact("4242 4242 4242 4242 12 26") == "[card number removed] 12 26")
        #expect(CardNumbers.redact("no card here 1234") == "no card here 1234")
    }

    @Test func firstProblemNamesTheFieldButNotTheDigits() {
        let fields: [(name: String, value: String?)] = [
            ("memo", "copay"), ("reference", nil), ("note", "card is 4000 0566 5566 5556 thanks"),
        ]
        let problem = CardNumbers.firstProblem(in: fields)
        #expect(problem == "note contains what looks like a card number; "
            + "card numbers are never accepted — use a payment token")
        #expect(problem?.contains("4000") == false)
        #expect(CardNumbers.firstProblem(in: [("memo", "copay 25.00"), ("note", nil)]) == nil)
    }

    @Test func luhnCheck() {
        #expect(CardNumbers.passesLuhn([7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]))
        #expect(!CardNumbers.passesLuhn([7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]))
        #expect(!CardNumbers.passesLuhn([]))
    }
}
