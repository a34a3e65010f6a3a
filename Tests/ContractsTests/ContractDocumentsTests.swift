import Contracts
import Foundation
import Testing

/// The checked-in schemas and AsyncAPI document are what the Swift types generate, and every golden
/// example is valid against its schema and decodes back into its type.
@Suite struct ContractDocumentsTests {
    static let contractsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Contracts")

    @Test func checkedInDocumentsMatchTheSwiftTypes() throws {
        let files = try ContractDocuments.files()
        #expect(files.count == EventCatalog.all.count + 1)
        for file in files {
            let url = Self.contractsDirectory.appendingPathComponent(file.path)
            let onDisk = try? String(contentsOf: url, encoding: .utf8)
            #expect(onDisk == file.contents,
                    "\(file.path) differs from what the Swift types generate: run `scripts/dev contracts` and commit the result")
        }
    }

    @Test(arguments: EventCatalog.all.map { $0.type.routingKey })
    func goldenExampleIsValidAndDecodes(routingKey: String) throws {
        let url = Self.contractsDirectory.appendingPathComponent("schemas/\(routingKey).json")
        let schema = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        guard case .array(let examples)? = schema["examples"], let example = examples.first else {
            Issue.record("\(routingKey) has no golden example")
            return
        }
        #expect(SchemaValidator.violations(of: example, against: schema) == [])
        let type = try #require(EventCatalog.eventType(routingKey: routingKey))
        #expect(try decodesToExample(type, example))
    }

    private func decodesToExample<E: ClinicEvent>(_ type: E.Type, _ example: JSONValue) throws -> Bool {
        try ContractCoding.decode(E.self, from: ContractCoding.encode(example)) == E.example
    }

    @Test func optionalFieldsAreNotRequired() throws {
        let schema = try ContractDocuments.payloadSchema(ChargePosted.self)
        guard case .array(let required)? = schema["required"] else {
            Issue.record("no required list")
            return
        }
        #expect(required.contains("fee"))
        #expect(required.contains("serviceDate"))
        #expect(!required.contains("diagnosisCodes"))
        #expect(!required.contains("appointmentId"))
        #expect(!required.contains("treatmentPlanId"))
        #expect(schema["properties"]?["serviceDate"]?["format"] == "date")
        #expect(schema["properties"]?["procedure"]?["properties"]?["codeSystem"]?["enum"] == ["CDT", "CPT", "HCPCS"])
    }

    @Test func validatorNamesWhatIsWrong() throws {
        let schema = try ContractDocuments.payloadSchema(ChargePosted.self)
        var body = try ContractDocuments.example(ChargePosted.self)
        guard case .object(var members) = body else {
            Issue.record("the ChargePosted example is not a JSON object: \(body)")
            return
        }
        members["fee"] = ["amount": "125.00", "currency": "USD"]
        members["patientId"] = nil
        members["serviceDate"] = "12/01/2026"
        body = .object(members)
        let violations = SchemaValidator.violations(of: body, against: schema)
        #expect(violations.contains("$: missing required 'patientId'"))
        #expect(violations.contains("$.fee.amount: expected integer, found string"))
        #expect(violations.contains { $0.hasPrefix("$.serviceDate:") })
    }

    @Test func everyEventTypeIsVersionedAndPastTense() {
        let keys = EventCatalog.all.map { $0.type.routingKey }
        #expect(Set(keys).count == keys.count)
        for key in keys {
            #expect(EventType(routingKey: key)?.routingKey == key)
            let fact = key.split(separator: ".")[2]
            // "paid" and "held" are irregular pasts; "due" is the state the auto-charge run found (the design's name).
            #expect(fact.hasSuffix("ed") || ["paid", "held", "due"].contains(fact), "\(key): events are past-tense facts")
        }
    }
}
