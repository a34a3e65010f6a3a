import InsuranceService
import ServiceRuntime

await ServiceHost.main(Insurance.definition)
