import Crypto
import Foundation
import Privacy
import Testing

@Suite struct FieldCipherTests {
    let keyA = FieldKey(id: "k1", key: SymmetricKey(size: .bits256))
    let keyB = FieldKey(id: "k2", key: SymmetricKey(size: .bits256))

    @Test func sealedValuesOpenToTheOriginal() throws {
        let cipher = FieldCipher(current: keyA)
        let sealed = try cipher.seal("Señora Ana López, DOB 1961-03-02")
        #expect(sealed.hasPrefix("v1.k1."))
        #expect(!sealed.contains("López"))
        #expect(try cipher.open(sealed) == "Señora Ana López, DOB 1961-03-02")
        #expect(try cipher.openBytes(try cipher.seal([0, 1, 2, 255])) == [0, 1, 2, 255])
    }

    @Test func sealingTwiceGivesDifferentText() throws {
        let cipher = FieldCipher(current: keyA)
        #expect(try cipher.seal("same") != cipher.seal("same"))
    }

    @Test func valuesSealedWithAnOlderKeyStillOpenAfterRotation() throws {
        let before = FieldCipher(current: keyA)
        let sealed = try before.seal("member 889-22-1")
        let after = FieldCipher(current: keyB, older: [keyA])
        #expect(try after.open(sealed) == "member 889-22-1")
        #expect(try after.seal("new").hasPrefix("v1.k2."))
        #expect(after.keyIDs == ["k2", "k1"])
    }

    @Test func aRetiredKeyIsReportedByName() throws {
        let sealed = try FieldCipher(current: keyA).seal("x")
        #expect(throws: PrivacyError.unknownKeyID("k1")) { try FieldCipher(current: keyB).open(sealed) }
        #expect("\(PrivacyError.unknownKeyID("k1"))".contains("key 'k1'"))
    }

    @Test func tamperedValuesAreRefused() throws {
        let cipher = FieldCipher(current: keyA)
        let sealed = try cipher.seal("balance note")
        var characters = Array(sealed)
        let last = characters.count - 5
        characters[last] = characters[last] == "A" ? "B" : "A"
        #expect(throws: PrivacyError.tamperedValue(keyID: "k1")) { try cipher.open(String(characters)) }
        #expect(throws: PrivacyError.tamperedValue(keyID: "k1")) { try cipher.open(String(sealed.dropLast(4))) }
        #expect(throws: PrivacyError.self) { try cipher.open("not sealed") }
        #expect(throws: PrivacyError.self) { try cipher.open("v2.k1.AAAA") }
    }

    @Test func aValueCannotBeRelabelledWithAnotherKeyID() throws {
        // Both keys hold the same bytes, so only the authenticated key id can tell the values apart.
        let shared = SymmetricKey(size: .bits256)
        let cipher = FieldCipher(current: FieldKey(id: "k1", key: shared), older: [FieldKey(id: "k0", key: shared)])
        let sealed = try cipher.seal("patient note")
        let relabelled = sealed.replacingOccurrences(of: "v1.k1.", with: "v1.k0.")
        #expect(throws: PrivacyError.tamperedValue(keyID: "k0")) { try cipher.open(relabelled) }
    }
}

@Suite struct BlindIndexTests {
    @Test func equalNamesMatchAfterNormalising() {
        let index = BlindIndex(key: SymmetricKey(size: .bits256))
        #expect(index.index("Ana  Lopez ") == index.index("ana lopez"))
        #expect(index.index("\tANA\nLOPEZ") == index.index("ana lopez"))
        #expect(index.index("Jose\u{301}") == index.index("José"))
        #expect(index.index("José") != index.index("Jose"))
        #expect(index.index("ana lopez").count == 64)
    }

    @Test func theIndexDependsOnTheKey() {
        let first = BlindIndex(key: SymmetricKey(size: .bits256))
        let second = BlindIndex(key: SymmetricKey(size: .bits256))
        #expect(first.index("ana lopez") != second.index("ana lopez"))
    }
}

@Suite struct PrivacyKeysTests {
    @Test func keyTextBuildsACipherWithTheFirstKeyCurrent() throws {
        let text = PrivacyKeys.generateKeyText(id: "k2") + ", " + PrivacyKeys.generateKeyText(id: "k1")
        let cipher = try PrivacyKeys.fieldCipher(from: text)
        #expect(cipher.current.id == "k2")
        #expect(cipher.keyIDs == ["k2", "k1"])
        #expect(try cipher.open(cipher.seal("ok")) == "ok")
    }

    @Test func rotatedConfigurationOpensOldValues() throws {
        let old = PrivacyKeys.generateKeyText(id: "k1")
        let sealed = try PrivacyKeys.fieldCipher(from: old).seal("claim memo")
        let rotated = try PrivacyKeys.fieldCipher(from: PrivacyKeys.generateKeyText(id: "k2") + "," + old)
        #expect(try rotated.open(sealed) == "claim memo")
    }

    @Test(arguments: [
        ("", "no keys given"),
        ("k1", "no ':'"),
        ("k1:not base64!", "not valid base64"),
        ("k1:" + Data(count: 16).base64EncodedString(), "is 16 bytes; keys must be exactly 32 bytes"),
        ("bad.id:" + Data(count: 32).base64EncodedString(), "key id 'bad.id' is invalid"),
        ("k1:" + Data(count: 32).base64EncodedString() + ",k1:" + Data(count: 32).base64EncodedString(), "more than once"),
    ])
    func badKeyTextIsExplained(text: String, expected: String) {
        do {
            _ = try PrivacyKeys.fieldCipher(from: text)
            Issue.record("expected an error for '\(text)'")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func blindIndexKeysAreParsed() throws {
        let encoded = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let first = try PrivacyKeys.blindIndex(from: encoded)
        let second = try PrivacyKeys.blindIndex(from: " \(encoded)\n")
        #expect(first.index("x") == second.index("x"))
        #expect(throws: PrivacyError.self) { try PrivacyKeys.blindIndex(from: "c2hvcnQ=") }
    }
}
