import PaymentsService
import ServiceRuntime

await ServiceHost.main(Payments.definition)
