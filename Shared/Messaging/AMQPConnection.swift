import CRabbitMQ
import Foundation

/// One rabbitmq-c connection with one channel. rabbitmq-c blocks and is not thread-safe, so an instance
/// lives on one `BrokerThread` and never crosses to another thread or to Swift's concurrency pool.
final class AMQPConnection {
    private let state: amqp_connection_state_t
    private let channel: amqp_channel_t = 1
    private var nextPublishTag: UInt64 = 1
    /// Every message up to this tag is confirmed. Acks may arrive out of order: single acks above it
    /// wait in `confirmedAbove` until the gap below them closes.
    private(set) var confirmedThrough: UInt64 = 0
    private var confirmedAbove = Set<UInt64>()
    private var open = false

    init(settings: BrokerSettings) throws(BrokerError) {
        guard let state = amqp_new_connection() else { throw BrokerError("could not allocate a connection") }
        self.state = state
        guard let socket = amqp_tcp_socket_new(state) else {
            amqp_destroy_connection(state)
            throw BrokerError("could not create a TCP socket")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, settings.host, Int32(settings.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(state)
            throw BrokerError(
                "cannot reach RabbitMQ at \(settings.host):\(settings.port): \(String(cString: amqp_error_string2(status)))")
        }
        let login = clinicledger_login_plain(
            state, settings.virtualHost, 0, 131_072, Int32(settings.heartbeatSeconds), settings.user, settings.password)
        guard login.reply_type == AMQP_RESPONSE_NORMAL else {
            let why = Self.describe(login)
            amqp_destroy_connection(state)
            throw BrokerError("login to RabbitMQ as \(settings.user) failed: \(why)")
        }
        open = true
        amqp_channel_open(state, channel)
        try check("opening a channel")
    }

    deinit { close() }

    func close() {
        guard open else { return }
        open = false
        amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
        amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        amqp_destroy_connection(state)
    }

    // MARK: Topology

    func declareExchange(_ name: String) throws(BrokerError) {
        Self.withBytes(name) { exchange in
            Self.withBytes("topic") { type in
                _ = amqp_exchange_declare(state, channel, exchange, type, 0, 1, 0, 0, amqp_empty_table)
            }
        }
        try check("declaring exchange \(name)")
    }

    @discardableResult
    func declareQueue(
        _ name: String, type: BrokerSettings.QueueType, passive: Bool = false,
        deadLetterTo: (exchange: String, routingKey: String)? = nil, messageTTLMilliseconds: Int? = nil
    ) throws(BrokerError) -> (messages: Int, consumers: Int) {
        let ok = clinicledger_queue_declare(
            state, channel, name, passive ? 1 : 0, passive ? "" : type.rawValue, deadLetterTo?.exchange,
            deadLetterTo?.routingKey, messageTTLMilliseconds.map { Int($0) } ?? -1, -1)
        guard let ok else {
            try check("declaring queue \(name)")
            throw BrokerError("declaring queue \(name) failed")
        }
        return (Int(ok.pointee.message_count), Int(ok.pointee.consumer_count))
    }

    func bind(queue: String, exchange: String, routingKey: String) throws(BrokerError) {
        Self.withBytes(queue) { queue in
            Self.withBytes(exchange) { exchange in
                Self.withBytes(routingKey) { key in
                    _ = amqp_queue_bind(state, channel, queue, exchange, key, amqp_empty_table)
                }
            }
        }
        try check("binding \(queue) to \(routingKey)")
    }

    // MARK: Publishing with confirms

    func enableConfirms() throws(BrokerError) {
        amqp_confirm_select(state, channel)
        try check("enabling publisher confirms")
    }

    /// Sends one message; it is safe only once `waitForConfirms` returns.
    func publish(_ message: OutgoingMessage) throws(BrokerError) {
        let keys = message.headers.map { strdup($0.0) }
        let values = message.headers.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        var keyPointers = keys.map { UnsafePointer<CChar>($0) }
        var valuePointers = values.map { UnsafePointer<CChar>($0) }
        let status = message.body.withUnsafeBytes { body in
            clinicledger_publish(
                state, channel, message.exchange, message.routingKey, message.messageId, message.contentType,
                Int32(message.headers.count), &keyPointers, &valuePointers, body.baseAddress, body.count)
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw BrokerError("publishing \(message.routingKey) failed: \(String(cString: amqp_error_string2(status)))")
        }
        nextPublishTag += 1
    }

    /// The tag of the last message published on this connection (tags start at 1).
    var lastPublishedTag: UInt64 { nextPublishTag - 1 }

    /// Blocks until the broker has confirmed everything published so far; a nack or a timeout throws,
    /// and the caller must treat every unconfirmed message as not sent.
    func waitForConfirms(timeoutMilliseconds: Int = 10_000) throws(BrokerError) {
        let deadline = Date().addingTimeInterval(Double(timeoutMilliseconds) / 1000)
        while confirmedThrough < lastPublishedTag {
            let remaining = Int(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0 else { throw BrokerError("the broker did not confirm within \(timeoutMilliseconds) ms") }
            _ = try readConfirms(timeoutMilliseconds: remaining)
        }
    }

    /// Takes in the confirms that arrive within `timeoutMilliseconds` (0: only those already here) and
    /// returns the tag through which everything is confirmed. A nack throws.
    func readConfirms(timeoutMilliseconds: Int) throws(BrokerError) -> UInt64 {
        var wait = timeoutMilliseconds
        while confirmedThrough < lastPublishedTag {
            var tag: UInt64 = 0
            var multiple: Int32 = 0
            switch clinicledger_wait_confirm(state, wait, &tag, &multiple) {
            case 1:
                recordAck(tag, multiple: multiple != 0)
                wait = 0  // then take what else has already arrived
            case 2: throw BrokerError("the broker refused (nack) message \(tag)")
            case 3: continue
            case 0: return confirmedThrough
            default: throw BrokerError("the broker closed the connection while confirming")
            }
        }
        return confirmedThrough
    }

    private func recordAck(_ tag: UInt64, multiple: Bool) {
        if multiple {
            confirmedThrough = max(confirmedThrough, tag)
            if !confirmedAbove.isEmpty { confirmedAbove = confirmedAbove.filter { $0 > confirmedThrough } }
        } else if tag > confirmedThrough {
            confirmedAbove.insert(tag)
        }
        while confirmedAbove.remove(confirmedThrough + 1) != nil { confirmedThrough += 1 }
    }

    // MARK: Consuming

    func consume(queue: String, prefetch: Int) throws(BrokerError) {
        amqp_basic_qos(state, channel, 0, UInt16(clamping: prefetch), 0)
        try check("setting prefetch")
        Self.withBytes(queue) { queue in
            _ = amqp_basic_consume(state, channel, queue, amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        }
        try check("consuming from \(queue)")
    }

    /// The next delivery, waiting at most `timeoutMilliseconds` (0 takes only what has already arrived).
    func nextDelivery(timeoutMilliseconds: Int) throws(BrokerError) -> Delivery? {
        var envelope = amqp_envelope_t()
        switch clinicledger_consume(state, &envelope, timeoutMilliseconds) {
        case 1:
            defer { amqp_destroy_envelope(&envelope) }
            return Self.delivery(
                tag: envelope.delivery_tag, exchange: Self.string(envelope.exchange),
                routingKey: Self.string(envelope.routing_key), redelivered: envelope.redelivered != 0,
                message: envelope.message)
        case 0: return nil
        default: throw BrokerError("lost the connection to RabbitMQ while consuming")
        }
    }

    func ack(_ tag: UInt64, multiple: Bool = false) throws(BrokerError) {
        let status = amqp_basic_ack(state, channel, tag, multiple ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw BrokerError("ack failed: \(String(cString: amqp_error_string2(status)))") }
    }

    /// Gives a delivery back to the queue (after a failure that was not the message's fault).
    func requeue(_ tag: UInt64) throws(BrokerError) {
        let status = amqp_basic_nack(state, channel, tag, 0, 1)
        guard status == AMQP_STATUS_OK.rawValue else { throw BrokerError("nack failed: \(String(cString: amqp_error_string2(status)))") }
    }

    /// One message from a queue without consuming from it; it stays unacknowledged until `ack`, and goes
    /// back to the queue when the connection closes.
    func get(queue: String) throws(BrokerError) -> Delivery? {
        var message = amqp_message_t()
        var tag: UInt64 = 0
        switch clinicledger_basic_get(state, channel, queue, &message, &tag) {
        case 1:
            defer { amqp_destroy_message(&message) }
            return Self.delivery(tag: tag, exchange: "", routingKey: queue, redelivered: false, message: message)
        case 0: return nil
        default:
            try check("reading from \(queue)")
            throw BrokerError("reading from \(queue) failed")
        }
    }

    // MARK: Helpers

    /// `amqp_bytes_t` for a Swift string, valid only inside `body`: `amqp_cstring_bytes(swiftString)`
    /// would point at a temporary that is gone when the call returns.
    private static func withBytes<T>(_ text: String, _ body: (amqp_bytes_t) -> T) -> T {
        var text = text
        return text.withUTF8 { utf8 in
            body(amqp_bytes_t(len: utf8.count, bytes: UnsafeMutableRawPointer(mutating: utf8.baseAddress)))
        }
    }

    private func check(_ what: String) throws(BrokerError) {
        let reply = amqp_get_rpc_reply(state)
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else { throw BrokerError("\(what): \(Self.describe(reply))") }
    }

    private static func describe(_ reply: amqp_rpc_reply_t) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        clinicledger_describe_reply(reply, &buffer, buffer.count)
        return String(cString: buffer)
    }

    private static func string(_ bytes: amqp_bytes_t) -> String {
        guard bytes.len > 0, let base = bytes.bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }

    private static func delivery(tag: UInt64, exchange: String, routingKey: String, redelivered: Bool,
                                 message: amqp_message_t) -> Delivery {
        let properties = message.properties
        let flags = properties._flags
        var headers: [String: String] = [:]
        if flags & amqp_flags_t(AMQP_BASIC_HEADERS_FLAG) != 0, let entries = properties.headers.entries {
            for index in 0..<Int(properties.headers.num_entries) {
                let entry = entries.advanced(by: index)
                let key = string(entry.pointee.key)
                if let text = clinicledger_header_bytes(entry) {
                    headers[key] = string(text.pointee)
                } else {
                    var number: Int64 = 0
                    if clinicledger_header_integer(entry, &number) != 0 { headers[key] = String(number) }
                }
            }
        }
        let body: [UInt8] = message.body.len > 0 && message.body.bytes != nil
            ? Array(UnsafeRawBufferPointer(start: message.body.bytes, count: message.body.len)) : []
        return Delivery(
            deliveryTag: tag, exchange: exchange, routingKey: routingKey, redelivered: redelivered,
            messageId: flags & amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG) != 0 ? string(properties.message_id) : nil,
            contentType: flags & amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG) != 0 ? string(properties.content_type) : nil,
            headers: headers, body: body)
    }
}
