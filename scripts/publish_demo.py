"""Publish one sample clinic.charge.posted.v1 the way a clinic system would, then show where it landed."""
import argparse
import datetime
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pika

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--clinic", default="clinic-demo")
# A new patient each run by default: a second cleaning for one patient on one day is held as a duplicate.
parser.add_argument("--patient", default=None, help="default: a new demo patient")
parser.add_argument("--amount", type=int, default=12500, help="fee in minor units (cents)")
parser.add_argument("--currency", default="USD")
args = parser.parse_args()

event_id = str(uuid.uuid4())
args.patient = args.patient or f"patient-demo-{event_id[:6]}"
body = {
    "chargeId": f"demo-{event_id[:8]}",
    "patientId": args.patient,
    "providerId": "provider-demo",
    "serviceDate": datetime.date.today().isoformat(),
    "procedure": {"code": "D1110", "codeSystem": "CDT"},
    "fee": {"amount": args.amount, "currency": args.currency},
}
headers = {
    "cloudEvents_specversion": "1.0",
    "cloudEvents_id": event_id,
    "cloudEvents_source": "demo/publish-demo",
    "cloudEvents_type": "clinic.charge.posted.v1",
    "cloudEvents_time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    "cloudEvents_clinicid": args.clinic,
    "cloudEvents_correlationid": str(uuid.uuid4()),
}
port = int(os.environ.get("CLINICLEDGER_AMQP_PORT", "55672"))
connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
channel = connection.channel()
channel.confirm_delivery()
channel.basic_publish(
    exchange="clinicledger.events",
    routing_key="clinic.charge.posted.v1",
    body=json.dumps(body).encode(),
    properties=pika.BasicProperties(
        content_type="application/json", delivery_mode=2, message_id=event_id, headers=headers),
)
connection.close()
print(f"published charge {body['chargeId']} ({args.amount} {args.currency}) for {args.patient}, event {event_id}")
time.sleep(2)

# Reading needs a token of the clinic's staff; the dev environment signs one.
dev = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dev")
token = subprocess.run([dev, "token", "--role", "billing_staff", "--clinic", args.clinic],
                       capture_output=True, text=True, check=True).stdout.strip()
payments = os.environ.get("PAYMENTS_HTTP_PORT", "8081")
analytics = os.environ.get("ANALYTICS_HTTP_PORT", "8085")
for url in (
    f"http://127.0.0.1:{payments}/v1/patients/{args.patient}/account?limit=5",
    f"http://127.0.0.1:{analytics}/v1/summary",
):
    try:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    print(f"\nGET {url}\n{status}\n{json.dumps(json.loads(text), indent=2) if text.startswith('{') else text}")
