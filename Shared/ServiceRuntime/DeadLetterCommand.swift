import Foundation
import Messaging

/// `<service> dead-letters list|show|replay`: what an operator needs at 3 a.m. to see why events were
/// refused and to send them back once the cause is fixed.
enum DeadLetterCommand {
    static func run(_ arguments: [String], service: String, settings: BrokerSettings) throws {
        let queue = DeadLetterQueue(settings: settings, service: service)
        switch (arguments.first, arguments.dropFirst().first) {
        case ("list", let option):
            let letters = try queue.list()
            if option == "--json" {
                let rows = letters.map { letter in
                    ["messageId": letter.messageId, "eventType": letter.eventType, "reason": letter.reason,
                     "deadAt": letter.deadAt, "attempts": String(letter.attempts)]
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            } else {
                print("\(letters.count) message(s) in \(queue.queueName)")
                for letter in letters {
                    print("\(letter.messageId)  \(letter.eventType)  attempts=\(letter.attempts)  \(letter.deadAt)\n    \(letter.reason)")
                }
            }
        case ("show", let id?):
            guard let letter = try queue.list().first(where: { $0.messageId == id }) else {
                throw CommandError("no dead letter with message id \(id) in \(queue.queueName)")
            }
            print("message id: \(letter.messageId)\nevent type: \(letter.eventType)\nreason:     \(letter.reason)")
            print("dead at:    \(letter.deadAt)\nattempts:   \(letter.attempts)\nheaders:")
            for (key, value) in letter.headers.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value)") }
            print("body (\(letter.body.count) bytes):\n\(String(decoding: letter.body.prefix(64 * 1024), as: UTF8.self))")
        case ("replay", "--all"):
            print("replayed \(try queue.replay(messageIds: nil)) message(s) to \(service)")
        case ("replay", _?):
            let ids = Set(arguments.dropFirst())
            let count = try queue.replay(messageIds: ids)
            guard count > 0 else { throw CommandError("no dead letter with those message ids in \(queue.queueName)") }
            print("replayed \(count) message(s) to \(service)")
        default:
            throw CommandError(ServiceHost.usage(service))
        }
    }
}

struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
