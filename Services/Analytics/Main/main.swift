import AnalyticsService
import ServiceRuntime

await ServiceHost.main(Analytics.definition)
