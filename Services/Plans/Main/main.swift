import PlansService
import ServiceRuntime

await ServiceHost.main(Plans.definition)
