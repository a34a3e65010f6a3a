import Foundation
import ServiceRuntime
import Testing

@Suite struct JobScheduleTests {
    static func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static let nineInNewYork = JobSchedule.daily(hour: 9, minute: 0, timeZone: "America/New_York")

    @Test func everyRunsAtOnceThenEveryInterval() {
        let now = Self.utc("2027-01-31T13:59:30Z")
        let schedule = JobSchedule.every(seconds: 60)
        #expect(schedule.firstDue(now: now) == now)
        #expect(schedule.next(after: now) == now.addingTimeInterval(60))
        #expect(JobSchedule.every(seconds: 3_600).next(after: now) == Self.utc("2027-01-31T14:59:30Z"))
    }

    @Test func dailyIsDueLaterTheSameDayBeforeItsHour() {
        // 08:59 EST.
        let now = Self.utc("2027-01-31T13:59:00Z")
        #expect(Self.nineInNewYork.next(after: now) == Self.utc("2027-01-31T14:00:00Z"))
        #expect(Self.nineInNewYork.firstDue(now: now) == Self.utc("2027-01-31T14:00:00Z"))
    }

    @Test func dailyAtItsHourIsDueTheNextDay() {
        // 09:00 EST exactly: strictly after, so tomorrow.
        #expect(Self.nineInNewYork.next(after: Self.utc("2027-01-31T14:00:00Z")) == Self.utc("2027-02-01T14:00:00Z"))
        #expect(Self.nineInNewYork.next(after: Self.utc("2027-01-31T23:30:00Z")) == Self.utc("2027-02-01T14:00:00Z"))
        // 00:30 UTC on Feb 1 is still Jan 31 (19:30) in New York.
        #expect(Self.nineInNewYork.next(after: Self.utc("2027-02-01T00:30:00Z")) == Self.utc("2027-02-01T14:00:00Z"))
    }

    /// Clocks go forward on 2027-03-14 in New York (EST, UTC−5 → EDT, UTC−4): 09:00 local is 13:00Z from then on.
    @Test func dailyKeepsItsLocalHourAcrossADaylightSavingChange() {
        #expect(Self.nineInNewYork.next(after: Self.utc("2027-03-13T14:00:00Z")) == Self.utc("2027-03-14T13:00:00Z"))
        #expect(Self.nineInNewYork.next(after: Self.utc("2027-03-14T07:00:00Z")) == Self.utc("2027-03-14T13:00:00Z"))
        #expect(Self.nineInNewYork.next(after: Self.utc("2027-03-14T13:00:00Z")) == Self.utc("2027-03-15T13:00:00Z"))
        // And back on 2027-11-07 (EDT → EST).
        #expect(Self.nineInNewYork.next(after: Self.utc("2027-11-06T13:00:00Z")) == Self.utc("2027-11-07T14:00:00Z"))
    }
}
