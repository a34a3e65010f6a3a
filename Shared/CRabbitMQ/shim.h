#ifndef CLINICLEDGER_RABBITMQ_SHIM_H
#define CLINICLEDGER_RABBITMQ_SHIM_H
/* rabbitmq-c 0.12+ moved its headers under rabbitmq-c/; Debian 12 ships 0.11 with the flat layout. */
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_tcp_socket.h>
#endif

/* amqp_login is variadic, which Swift cannot call: a fixed-argument wrapper for SASL PLAIN. */
static inline amqp_rpc_reply_t clinicledger_login_plain(amqp_connection_state_t state, const char *vhost,
                                                        int channel_max, int frame_max, int heartbeat,
                                                        const char *user, const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Publishes one message whose headers are all strings. The key and value pointers only need to live
   for the call, which is why the table is built here and not in Swift. */
static inline int clinicledger_publish(amqp_connection_state_t state, amqp_channel_t channel,
                                       const char *exchange, const char *routing_key,
                                       const char *message_id, const char *content_type,
                                       int header_count, const char **header_keys, const char **header_values,
                                       const void *body, size_t body_length) {
    amqp_table_entry_t *entries = header_count > 0 ? calloc((size_t)header_count, sizeof(amqp_table_entry_t)) : NULL;
    for (int i = 0; i < header_count; i++) {
        entries[i].key = amqp_cstring_bytes(header_keys[i]);
        entries[i].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[i].value.value.bytes = amqp_cstring_bytes(header_values[i]);
    }
    amqp_basic_properties_t props;
    memset(&props, 0, sizeof(props));
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG |
                   AMQP_BASIC_MESSAGE_ID_FLAG;
    props.content_type = amqp_cstring_bytes(content_type);
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.message_id = amqp_cstring_bytes(message_id);
    props.headers.num_entries = header_count;
    props.headers.entries = entries;
    amqp_bytes_t payload;
    payload.len = body_length;
    payload.bytes = (void *)body;
    int status = amqp_basic_publish(state, channel, amqp_cstring_bytes(exchange), amqp_cstring_bytes(routing_key),
                                    0, 0, &props, payload);
    free(entries);
    return status;
}

/* Declares a durable queue with the arguments the suite uses; an empty string or a negative number
   leaves that argument out. Returns NULL on failure (read amqp_get_rpc_reply). */
static inline amqp_queue_declare_ok_t *clinicledger_queue_declare(
    amqp_connection_state_t state, amqp_channel_t channel, const char *queue, int passive, const char *queue_type,
    const char *dead_letter_exchange, const char *dead_letter_routing_key, long message_ttl_ms, long delivery_limit) {
    amqp_table_entry_t entries[5];
    int n = 0;
    if (queue_type[0]) {
        entries[n].key = amqp_cstring_bytes("x-queue-type");
        entries[n].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[n].value.value.bytes = amqp_cstring_bytes(queue_type);
        n++;
    }
    if (dead_letter_exchange) {
        entries[n].key = amqp_cstring_bytes("x-dead-letter-exchange");
        entries[n].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[n].value.value.bytes = amqp_cstring_bytes(dead_letter_exchange);
        n++;
    }
    if (dead_letter_routing_key && dead_letter_routing_key[0]) {
        entries[n].key = amqp_cstring_bytes("x-dead-letter-routing-key");
        entries[n].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[n].value.value.bytes = amqp_cstring_bytes(dead_letter_routing_key);
        n++;
    }
    if (message_ttl_ms >= 0) {
        entries[n].key = amqp_cstring_bytes("x-message-ttl");
        entries[n].value.kind = AMQP_FIELD_KIND_I64;
        entries[n].value.value.i64 = message_ttl_ms;
        n++;
    }
    if (delivery_limit >= 0) {
        entries[n].key = amqp_cstring_bytes("x-delivery-limit");
        entries[n].value.kind = AMQP_FIELD_KIND_I64;
        entries[n].value.value.i64 = delivery_limit;
        n++;
    }
    amqp_table_t arguments;
    arguments.num_entries = n;
    arguments.entries = entries;
    return amqp_queue_declare(state, channel, amqp_cstring_bytes(queue), (amqp_boolean_t)passive, 1, 0, 0, arguments);
}

/* Waits for the next publisher confirm. Returns 1 for basic.ack, 2 for basic.nack (tag and multiple
   set), 0 on timeout, 3 for a frame that is not a confirm, and a negative number when the channel or
   connection was closed or the socket failed. */
static inline int clinicledger_wait_confirm(amqp_connection_state_t state, long timeout_ms,
                                            uint64_t *delivery_tag, int *multiple) {
    struct timeval timeout;
    timeout.tv_sec = timeout_ms / 1000;
    timeout.tv_usec = (timeout_ms % 1000) * 1000;
    amqp_frame_t frame;
    int status = amqp_simple_wait_frame_noblock(state, &frame, &timeout);
    if (status == AMQP_STATUS_TIMEOUT) return 0;
    if (status != AMQP_STATUS_OK) return -1;
    if (frame.frame_type != AMQP_FRAME_METHOD) return 3;
    switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
        amqp_basic_ack_t *ack = (amqp_basic_ack_t *)frame.payload.method.decoded;
        *delivery_tag = ack->delivery_tag;
        *multiple = ack->multiple;
        return 1;
    }
    case AMQP_BASIC_NACK_METHOD: {
        amqp_basic_nack_t *nack = (amqp_basic_nack_t *)frame.payload.method.decoded;
        *delivery_tag = nack->delivery_tag;
        *multiple = nack->multiple;
        return 2;
    }
    case AMQP_CHANNEL_CLOSE_METHOD: return -2;
    case AMQP_CONNECTION_CLOSE_METHOD: return -3;
    default: return 3;
    }
}

/* Waits up to timeout_ms for a delivery (0 polls what has already arrived). Returns 1 with the envelope
   filled (the caller destroys it), 0 on timeout, -1 when the connection is unusable. */
static inline int clinicledger_consume(amqp_connection_state_t state, amqp_envelope_t *envelope, long timeout_ms) {
    struct timeval timeout;
    timeout.tv_sec = timeout_ms / 1000;
    timeout.tv_usec = (timeout_ms % 1000) * 1000;
    amqp_maybe_release_buffers(state);
    amqp_rpc_reply_t reply = amqp_consume_message(state, envelope, &timeout, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return 1;
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT) return 0;
    return -1;
}

/* The text of a string header, or NULL for other kinds (numbers, tables, arrays). */
static inline const amqp_bytes_t *clinicledger_header_bytes(const amqp_table_entry_t *entry) {
    if (entry->value.kind == AMQP_FIELD_KIND_UTF8 || entry->value.kind == AMQP_FIELD_KIND_BYTES)
        return &entry->value.value.bytes;
    return NULL;
}

/* An integer header as a number; returns 0 when the header is not an integer. */
static inline int clinicledger_header_integer(const amqp_table_entry_t *entry, int64_t *value) {
    switch (entry->value.kind) {
    case AMQP_FIELD_KIND_I8: *value = entry->value.value.i8; return 1;
    case AMQP_FIELD_KIND_U8: *value = entry->value.value.u8; return 1;
    case AMQP_FIELD_KIND_I16: *value = entry->value.value.i16; return 1;
    case AMQP_FIELD_KIND_U16: *value = entry->value.value.u16; return 1;
    case AMQP_FIELD_KIND_I32: *value = entry->value.value.i32; return 1;
    case AMQP_FIELD_KIND_U32: *value = entry->value.value.u32; return 1;
    case AMQP_FIELD_KIND_I64: *value = entry->value.value.i64; return 1;
    case AMQP_FIELD_KIND_U64: *value = (int64_t)entry->value.value.u64; return 1;
    case AMQP_FIELD_KIND_BOOLEAN: *value = entry->value.value.boolean; return 1;
    default: return 0;
    }
}
/* Writes a readable description of a failed RPC reply into buffer. */
static inline void clinicledger_describe_reply(amqp_rpc_reply_t reply, char *buffer, size_t length) {
    switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL: snprintf(buffer, length, "ok"); return;
    case AMQP_RESPONSE_NONE: snprintf(buffer, length, "no reply from the broker"); return;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: snprintf(buffer, length, "%s", amqp_error_string2(reply.library_error)); return;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *m = (amqp_channel_close_t *)reply.reply.decoded;
            snprintf(buffer, length, "broker closed the channel: %u %.*s", m->reply_code, (int)m->reply_text.len,
                     (char *)m->reply_text.bytes);
        } else if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *m = (amqp_connection_close_t *)reply.reply.decoded;
            snprintf(buffer, length, "broker closed the connection: %u %.*s", m->reply_code, (int)m->reply_text.len,
                     (char *)m->reply_text.bytes);
        } else {
            snprintf(buffer, length, "unexpected broker method 0x%08X", reply.reply.id);
        }
        return;
    }
    snprintf(buffer, length, "unknown reply");
}

/* basic.get without auto-ack. Returns 1 with message and delivery_tag filled (the caller destroys the
   message), 0 when the queue is empty, -1 on failure (read amqp_get_rpc_reply). */
static inline int clinicledger_basic_get(amqp_connection_state_t state, amqp_channel_t channel, const char *queue,
                                         amqp_message_t *message, uint64_t *delivery_tag) {
    amqp_rpc_reply_t reply = amqp_basic_get(state, channel, amqp_cstring_bytes(queue), 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) return -1;
    if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return 0;
    if (reply.reply.id != AMQP_BASIC_GET_OK_METHOD) return -1;
    *delivery_tag = ((amqp_basic_get_ok_t *)reply.reply.decoded)->delivery_tag;
    amqp_rpc_reply_t read = amqp_read_message(state, channel, message, 0);
    return read.reply_type == AMQP_RESPONSE_NORMAL ? 1 : -1;
}
#endif
