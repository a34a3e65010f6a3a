# Publish a charge to ClinicLedger from any clinic system: plain AMQP 0-9-1 with pika,
# CloudEvents headers, a JSON body, publisher confirms. Money is integer minor units.
import datetime, json, os, uuid
import pika

event_id = str(uuid.uuid4())  # unique per event; re-send the same id when you retry
charge = {
    "chargeId": "chg-" + event_id[:8],  # your system's charge id: posting it twice records it once
    "patientId": "pat-1001",
    "providerId": "prov-12",
    "serviceDate": datetime.date.today().isoformat(),
    "procedure": {"code": "D2392", "codeSystem": "CDT", "tooth": "30", "surfaces": ["M", "O"]},
    "fee": {"amount": 18500, "currency": "USD"},  # $185.00
}
headers = {
    "cloudEvents_specversion": "1.0",
    "cloudEvents_id": event_id,
    "cloudEvents_source": "pms/front-desk",
    "cloudEvents_type": "clinic.charge.posted.v1",
    "cloudEvents_time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    "cloudEvents_clinicid": os.environ.get("CLINIC_ID", "clinic-1"),
}
amqp_port = int(os.environ.get("CLINICLEDGER_AMQP_PORT", "55672"))
connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", amqp_port))
channel = connection.channel()
channel.confirm_delivery()  # basic_publish raises if the broker does not take the message
channel.basic_publish(
    exchange="clinicledger.events",
    routing_key="clinic.charge.posted.v1",
    body=json.dumps(charge),
    properties=pika.BasicProperties(
        content_type="application/json", delivery_mode=2, message_id=event_id, headers=headers),
)
connection.close()
print(charge["chargeId"])
