"""A fake Stripe API for the end-to-end tests: Python standard library only, everything in memory.

    python3 fake_stripe.py PORT      # 0 picks a free port; the first line on stdout is `PORT <n>`

It answers the calls the payments service makes, in the shapes of Stripe's API reference: PaymentIntents
(create with confirm=true, retrieve, list, search by metadata), Customers, PaymentMethods (create from
`card[token]`, attach), Refunds, and errors `{"error": {"type", "code", "decline_code", "message", …}}`.
It checks `Authorization: Bearer sk_test_…` and honours `Idempotency-Key` as Stripe does: the same key
with the same parameters replays the first answer; with other parameters it is a 400 idempotency_error.
Test tokens are Stripe's own (`tok_visa`, `tok_chargeDeclinedInsufficientFunds`, …); bank tokens
`btok_…` make an ACH debit that stays `processing`.

Test-only endpoints, under /_fake/:
  GET  /_fake/payment_intents | /_fake/refunds | /_fake/payment_methods   everything stored
  POST /_fake/fail_next      {"status": 500, "effect": true}
       the next API call answers that status with an api_error. With "effect" (the default) the call
       still takes effect, as when Stripe charged but the answer was lost on the way; a retry under the
       same Idempotency-Key replays the real answer.
  POST /_fake/settle       {"payment_intent": "pi_…"}   a processing ACH debit succeeds (as the bank settles it)
  POST /_fake/send_webhook   {"url", "type", "payment_intent", "secret", "id"?, "timestamp"?, "signature"?}
       POSTs a signed event about that PaymentIntent (as it stands) to url; answers the target's status
       and body. "signature" replaces the whole Stripe-Signature header.
"""
import hashlib
import hmac
import http.server
import itertools
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

API_VERSION = "2024-06-20"

# Stripe's test tokens: (brand, last4, decline) where decline is (code, decline_code, message) or None.
# A declined card also fails when it is attached to a customer, except tok_chargeCustomerFail (Stripe's
# 4000 0000 0000 0341: attaching succeeds, charging it fails), listed in ATTACHABLE.
CARDS = {
    "tok_visa": ("visa", "4242", None),
    "tok_mastercard": ("mastercard", "4444", None),
    "tok_chargeDeclined": ("visa", "0002", ("card_declined", "generic_decline", "Your card was declined.")),
    "tok_chargeDeclinedInsufficientFunds":
        ("visa", "9995", ("card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    "tok_chargeDeclinedExpiredCard": ("visa", "0069", ("expired_card", "expired_card", "Your card has expired.")),
    "tok_processingError": ("visa", "0119", ("processing_error", "processing_error",
                                             "An error occurred while processing your card. Try again in a little bit.")),
    "tok_chargeCustomerFail": ("visa", "0341", ("card_declined", "generic_decline", "Your card was declined.")),
}
ATTACHABLE = {"tok_chargeCustomerFail"}

lock = threading.Lock()  # one request at a time: simple, and plenty for tests
ids = itertools.count(1)
store = {"payment_intents": {}, "charges": {}, "customers": {}, "payment_methods": {}, "refunds": {}}
replays = {}  # Idempotency-Key -> (method, path, params, status, body)
fail_next = {}


class StripeError(Exception):
    def __init__(self, status, type_, message, code=None, decline_code=None, param=None, payment_intent=None):
        super().__init__(message)
        error = {"type": type_, "message": message}
        for name, value in (("code", code), ("decline_code", decline_code), ("param", param),
                            ("payment_intent", payment_intent)):
            if value is not None:
                error[name] = value
        self.status, self.body = status, {"error": error}


def new_id(prefix):
    return f"{prefix}_fake{next(ids):06d}"


def missing(kind, value, param):
    return StripeError(404 if param is None else 400, "invalid_request_error", f"No such {kind}: '{value}'",
                       code="resource_missing", param=param)


def nested(pairs):
    """Stripe's bracket keys to nested values: a[b][c]=1 -> {"a": {"b": {"c": "1"}}}; a[]=x -> {"a": ["x"]}."""
    params = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = params
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            following = None if last else parts[i + 1]
            if following == "[]":
                node.setdefault(part, []).append(value)
                break
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return params


def expanded(intent, expand):
    """The PaymentIntent as Stripe shows it, with latest_charge as an object when asked for."""
    shown = dict(intent)
    if "latest_charge" in expand and intent["latest_charge"]:
        shown["latest_charge"] = store["charges"][intent["latest_charge"]]
    return shown


def card_from_token(token, param):
    if token not in CARDS:
        raise missing("token", token, param)
    brand, last4, decline = CARDS[token]
    return {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034, "funding": "credit",
            "country": "US"}, decline


def create_payment_intent(params):
    try:
        amount = int(params.get("amount", ""))
    except ValueError:
        raise StripeError(400, "invalid_request_error", "Missing required param: amount.", code="parameter_missing",
                          param="amount")
    if amount < 1:
        raise StripeError(400, "invalid_request_error", "This value must be greater than or equal to 1.",
                          code="parameter_invalid_integer", param="amount")
    currency = params.get("currency", "")
    if currency != currency.lower() or len(currency) != 3:
        raise StripeError(400, "invalid_request_error", f"Invalid currency: {currency}.", param="currency")
    intent = {
        "id": new_id("pi"), "object": "payment_intent", "amount": amount, "amount_received": 0, "currency": currency,
        "created": int(time.time()), "customer": params.get("customer"), "description": params.get("description"),
        "metadata": params.get("metadata", {}), "latest_charge": None, "last_payment_error": None,
        "livemode": False, "payment_method": None, "status": "requires_payment_method",
        "payment_method_types": params.get("payment_method_types", ["card"]),
    }
    card, decline, method_type = None, None, "card"
    data = params.get("payment_method_data")
    if data and data.get("type") == "card":
        card, decline = card_from_token(data.get("card", {}).get("token", ""), "payment_method_data[card][token]")
        intent["payment_method"] = new_id("pm")
    elif data and data.get("type") == "us_bank_account":
        method_type = "us_bank_account"
        intent["payment_method"] = new_id("pm")
    elif "payment_method" in params:
        method = store["payment_methods"].get(params["payment_method"])
        if method is None:
            raise missing("PaymentMethod", params["payment_method"], "payment_method")
        if method["customer"] and method["customer"] != params.get("customer"):
            raise StripeError(400, "invalid_request_error", "The provided PaymentMethod belongs to a customer; "
                              "pass that customer's id as `customer`.", param="customer")
        card, decline, method_type = method.get("card"), method["_decline"], method["type"]
        intent["payment_method"] = method["id"]
    else:
        raise StripeError(400, "invalid_request_error", "You must provide a payment method.", param="payment_method")
    store["payment_intents"][intent["id"]] = intent
    if params.get("confirm") != "true":
        return intent
    charge = {"id": new_id("ch"), "object": "charge", "amount": amount, "currency": currency,
              "payment_intent": intent["id"], "created": intent["created"], "amount_refunded": 0,
              "paid": decline is None, "status": "failed" if decline else "succeeded",
              "payment_method_details": {"type": method_type, method_type: card or {"last4": "6789"}}}
    store["charges"][charge["id"]] = charge
    intent["latest_charge"] = charge["id"]
    if decline:
        code, decline_code, message = decline
        charge["status"] = "failed"
        intent["last_payment_error"] = {"type": "card_error", "code": code, "decline_code": decline_code,
                                        "message": message, "charge": charge["id"]}
        raise StripeError(402, "card_error", message, code=code, decline_code=decline_code,
                          payment_intent=expanded(intent, []))
    if method_type == "us_bank_account":
        intent["status"] = "processing"
    else:
        intent["status"], intent["amount_received"] = "succeeded", amount
    return intent


def search_payment_intents(query):
    match = re.fullmatch(r"""\s*metadata\[(['"])(.+?)\1\]\s*:\s*(['"])(.*)\3\s*""", query or "")
    if not match:
        raise StripeError(400, "invalid_request_error", f"The fake supports only metadata['key']:'value' queries, "
                          f"not {query!r}.", param="query")
    key, value = match.group(2), match.group(4).replace("\\'", "'").replace("\\\\", "\\")
    return [pi for pi in store["payment_intents"].values() if pi["metadata"].get(key) == value]


def newest_first(objects, params):
    """A page of a list, newest first, as Stripe pages: limit, starting_after, created[gte]."""
    since = int(params.get("created", {}).get("gte", 0))
    chosen = sorted((o for o in objects if o["created"] >= since), key=lambda o: (o["created"], o["id"]), reverse=True)
    if "starting_after" in params:
        position = [o["id"] for o in chosen].index(params["starting_after"]) + 1
        chosen = chosen[position:]
    limit = int(params.get("limit", 10))
    return chosen[:limit], len(chosen) > limit


def refund(params):
    intent = store["payment_intents"].get(params.get("payment_intent", ""))
    if intent is None:
        raise missing("payment_intent", params.get("payment_intent"), "payment_intent")
    if intent["status"] != "succeeded":
        raise StripeError(400, "invalid_request_error", f"This PaymentIntent ({intent['id']}) does not have a "
                          "successful charge to refund.", code="charge_not_refundable")
    charge = store["charges"][intent["latest_charge"]]
    left = intent["amount_received"] - charge["amount_refunded"]
    amount = int(params.get("amount", left))
    if amount > left:
        raise StripeError(400, "invalid_request_error", f"Refund amount ({amount}) is greater than unrefunded amount "
                          f"on charge ({left})", code="amount_too_large", param="amount")
    charge["amount_refunded"] += amount
    created = {"id": new_id("re"), "object": "refund", "amount": amount, "currency": intent["currency"],
               "charge": charge["id"], "payment_intent": intent["id"], "created": int(time.time()),
               "metadata": params.get("metadata", {}), "status": "succeeded", "reason": params.get("reason")}
    store["refunds"][created["id"]] = created
    return created


def api(method, path, params):
    """One Stripe API call: (status, body) or raises StripeError."""
    parts = path.strip("/").split("/")
    expand = params.get("expand", [])
    if method == "POST" and path == "/v1/payment_intents":
        return 200, expanded(create_payment_intent(params), expand)
    if method == "GET" and path == "/v1/payment_intents/search":
        found = search_payment_intents(params.get("query"))
        shown = [expanded(pi, [e.removeprefix("data.") for e in expand]) for pi in found]
        return 200, {"object": "search_result", "url": path, "has_more": False, "next_page": None, "data": shown}
    if method == "GET" and path == "/v1/payment_intents":
        page, more = newest_first(store["payment_intents"].values(), params)
        shown = [expanded(pi, [e.removeprefix("data.") for e in expand]) for pi in page]
        return 200, {"object": "list", "url": path, "has_more": more, "data": shown}
    if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "payment_intents"]:
        if parts[2] not in store["payment_intents"]:
            raise missing("payment_intent", parts[2], None)
        return 200, expanded(store["payment_intents"][parts[2]], expand)
    if method == "POST" and path == "/v1/customers":
        customer = {"id": new_id("cus"), "object": "customer", "created": int(time.time()),
                    "metadata": params.get("metadata", {}), "email": params.get("email"), "name": params.get("name")}
        store["customers"][customer["id"]] = customer
        return 200, customer
    if method == "POST" and path == "/v1/payment_methods":
        if params.get("type") != "card":
            raise StripeError(400, "invalid_request_error", "The fake creates only card PaymentMethods.", param="type")
        token = params.get("card", {}).get("token", "")
        card, decline = card_from_token(token, "card[token]")
        pm = {"id": new_id("pm"), "object": "payment_method", "type": "card", "card": card, "customer": None,
              "created": int(time.time()), "metadata": params.get("metadata", {}), "_decline": decline,
              "_attachable": decline is None or token in ATTACHABLE}
        store["payment_methods"][pm["id"]] = pm
        return 200, pm
    if method == "POST" and len(parts) == 4 and parts[:2] == ["v1", "payment_methods"] and parts[3] == "attach":
        pm = store["payment_methods"].get(parts[2])
        if pm is None:
            raise missing("PaymentMethod", parts[2], None)
        if params.get("customer") not in store["customers"]:
            raise missing("customer", params.get("customer"), "customer")
        if not pm["_attachable"]:  # Stripe checks the card when it is attached: declined test cards fail here
            code, decline_code, message = pm["_decline"]
            raise StripeError(402, "card_error", message, code=code, decline_code=decline_code)
        pm["customer"] = params["customer"]
        return 200, pm
    if method == "POST" and path == "/v1/refunds":
        return 200, refund(params)
    raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")


def public(obj):
    """What Stripe would show: without the fake's own bookkeeping (keys starting with _)."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return obj


def sign(payload, secret, timestamp):
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def send_webhook(request):
    intent = store["payment_intents"].get(request.get("payment_intent", ""))
    if intent is None:
        return 404, {"error": f"no PaymentIntent {request.get('payment_intent')!r} in the fake"}
    event = {"id": request.get("id") or new_id("evt"), "object": "event", "api_version": API_VERSION,
             "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
             "type": request.get("type", "payment_intent.succeeded"), "data": {"object": public(intent)}}
    payload = json.dumps(event).encode()
    timestamp = int(request.get("timestamp") or time.time())
    header = request.get("signature") or sign(payload, request["secret"], timestamp)
    call = urllib.request.Request(request["url"], data=payload, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header, "User-Agent": "Stripe/1.0"})
    try:
        with urllib.request.urlopen(call, timeout=30) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return 200, {"status": status, "body": body.decode("utf-8", "replace"), "event": event}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.handle_call("GET")

    def do_POST(self):
        self.handle_call("POST")

    def do_DELETE(self):
        self.handle_call("DELETE")

    def handle_call(self, method):
        url = urllib.parse.urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/_fake/"):
            # The webhook is sent without the lock: the target may call back into the fake.
            if method == "POST" and url.path == "/_fake/send_webhook":
                with lock:
                    request = json.loads(raw or b"{}")
                return self.answer(*send_webhook(request))
            with lock:
                return self.answer(*self.fake_endpoint(method, url.path, raw))
        with lock:
            status, body, replayed = self.stripe_call(method, url.path, url.query, raw)
        self.answer(status, body, {"Idempotent-Replayed": "true"} if replayed else {})

    def fake_endpoint(self, method, path, raw):
        kind = path.removeprefix("/_fake/")
        if method == "GET" and kind in ("payment_intents", "refunds", "payment_methods", "customers"):
            return 200, {"data": public(list(store[kind].values()))}
        if method == "POST" and kind == "settle":
            intent = store["payment_intents"].get(json.loads(raw or b"{}").get("payment_intent", ""))
            if intent is None or intent["status"] != "processing":
                return 400, {"error": "settle takes a PaymentIntent that is processing"}
            intent["status"], intent["amount_received"] = "succeeded", intent["amount"]
            return 200, public(intent)
        if method == "POST" and kind == "fail_next":
            request = json.loads(raw or b"{}")
            fail_next.update(status=int(request.get("status", 500)), effect=request.get("effect", True))
            return 200, {"armed": fail_next}
        return 404, {"error": f"no fake endpoint {method} {path}"}

    def stripe_call(self, method, path, query, raw):
        """(status, body, replayed) of one API call, with Stripe's key check and idempotency."""
        auth = self.headers.get("Authorization", "")
        if not re.fullmatch(r"Bearer sk_test_\w+", auth):
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided; "
                                   "the fake Stripe takes `Authorization: Bearer sk_test_…`."}}, False
        form = query if method == "GET" else raw.decode()
        pairs = urllib.parse.parse_qsl(form, keep_blank_values=True)
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        if key in replays:
            first = replays[key]
            if first[:3] != (method, path, sorted(pairs)):
                return 400, {"error": {"type": "idempotency_error", "message":
                             "Keys for idempotent requests can only be used with the same parameters they were "
                             f"first used with. Try using a key other than '{key}' if you meant to execute a "
                             "different request."}}, False
            return first[3], first[4], True
        failure = dict(fail_next)
        fail_next.clear()
        if failure and not failure["effect"]:
            return failure["status"], {"error": {"type": "api_error", "message": "The fake failed this call (no effect)."}}, False
        try:
            status, body = api(method, path, nested(pairs))
        except StripeError as error:
            status, body = error.status, error.body
        body = public(body)
        if key is not None:
            replays[key] = (method, path, sorted(pairs), status, body)
        if failure:
            return failure["status"], {"error": {"type": "api_error", "message": "The fake lost this answer (the call took effect)."}}, False
        return status, body, False

    def answer(self, status, body, headers=None):
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Request-Id", new_id("req"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format, *args):  # quiet: the tests read the fake's state, not its log
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
