// Load for `scripts/dev bench`, through the same rabbitmq-c layer the services use (reads
// CLINICLEDGER_AMQP_PORT and prints JSON):
//   broker-bench raw MESSAGES BYTES          the broker's own limits: persistent publishes confirmed
//                                            every 100, then consuming with prefetch 300 and batched acks
//   broker-bench charges COUNT RATE CLINIC   an outside clinic system posting COUNT charges, as fast as
//                                            it goes (RATE 0) or at RATE per second; one line per charge
//                                            with the time it was published
import Foundation
import Messaging

var settings = BrokerSettings()
settings.port = Int(ProcessInfo.processInfo.environment["CLINICLEDGER_AMQP_PORT"] ?? "5672") ?? 5672
let arguments = Array(CommandLine.arguments.dropFirst())
func number(_ index: Int, _ fallback: Int) -> Int { arguments.count > index ? Int(arguments[index]) ?? fallback : fallback }

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("broker-bench: \(message)\n".utf8))
    exit(status)
}

do {
    switch arguments.first {
    case "raw":
        print(try await RawBroker.measure(settings: settings, messages: number(1, 20_000), bytes: number(2, 500)))
    case "charges" where arguments.count == 4:
        try await ChargeLoad.post(settings: settings, count: number(1, 20_000), perSecond: number(2, 0), clinic: arguments[3])
    default:
        fail("usage: broker-bench raw MESSAGES BYTES | charges COUNT RATE CLINIC", status: 2)
    }
} catch {
    fail("\(error)", status: 1)
}
