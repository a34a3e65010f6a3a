import Foundation
import Logging
import Messaging

/// An outside clinic system posting `clinic.charge.posted.v1` events, 500 patients round robin,
/// confirmed by the broker in groups (every 100, or every 10 ms when paced).
enum ChargeLoad {
    static func post(settings: BrokerSettings, count: Int, perSecond: Int, clinic: String) async throws {
        let publisher = EventPublisher(settings: settings, logger: Logger(label: "charge-load"))
        let clock = ISO8601DateFormatter()
        let today = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate])
        let group = perSecond > 0 ? max(1, perSecond / 100) : 100
        let started = Date()
        var lines: [String] = []
        lines.reserveCapacity(count)
        for first in stride(from: 0, to: count, by: group) {
            if perSecond > 0 {
                let due = started.addingTimeInterval(Double(first) / Double(perSecond)).timeIntervalSinceNow
                if due > 0 { try await Task.sleep(for: .milliseconds(Int(due * 1000))) }
            }
            let numbers = first..<min(first + group, count)
            let now = Date()
            let time = clock.string(from: now)
            try await publisher.publish(numbers.map {
                charge($0, clinic: clinic, today: today, time: time, exchange: settings.exchange)
            })
            let sentAt = now.timeIntervalSince1970
            for n in numbers { lines.append("c\(n) \(sentAt)") }
        }
        await publisher.shutdown()
        print(lines.joined(separator: "\n"))
    }

    /// Distinct work per charge (code and tooth from `n`): the same work twice would be held as a duplicate.
    static func charge(_ n: Int, clinic: String, today: String, time: String, exchange: String) -> OutgoingMessage {
        let id = UUID().uuidString.lowercased()
        let body = """
            {"chargeId":"c\(n)","patientId":"p\(n % 500)","providerId":"d1","serviceDate":"\(today)",\
            "procedure":{"code":"D\(String(format: "%04d", n % 10_000))","codeSystem":"CDT","tooth":"\(1 + n / 10_000 % 32)"},\
            "fee":{"amount":\(1000 + n % 997),"currency":"USD"}}
            """
        return OutgoingMessage(
            exchange: exchange, routingKey: "clinic.charge.posted.v1", messageId: id,
            headers: [("cloudEvents_specversion", "1.0"), ("cloudEvents_id", id), ("cloudEvents_source", "bench"),
                      ("cloudEvents_type", "clinic.charge.posted.v1"), ("cloudEvents_time", time),
                      ("cloudEvents_clinicid", clinic)],
            body: Array(body.utf8))
    }
}
