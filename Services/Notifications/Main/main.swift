import NotificationsService
import ServiceRuntime

await ServiceHost.main(Notifications.definition)
