#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import WaysideCore
import WaysidePanel

/// Debounce, long press and auto-repeat, replayed with exact timestamps: nothing waits.
@Suite struct ButtonDebouncerTests {
    let timing = ButtonTiming(debounce: .milliseconds(20), longPress: .milliseconds(800), repeatInterval: .milliseconds(250))

    func ms(_ value: Double) -> Duration { .microseconds(Int(value * 1000)) }

    @Test func chatterOfDozensOfEdgesGivesExactlyOnePress() {
        var debouncer = ButtonDebouncer(timing: timing)
        var events: [ButtonEvent] = []
        // 41 edges within 4 ms, ending pressed: a bouncing contact.
        for index in 0...40 {
            events += debouncer.edge(.ok, pressed: index % 2 == 0, at: ms(100 + Double(index) * 0.1))
        }
        events += debouncer.advance(to: ms(200))
        #expect(events == [ButtonEvent(.ok, .press, at: ms(100))])
        #expect(debouncer.isPressed(.ok))
    }

    @Test func releaseChatterGivesExactlyOneRelease() {
        var debouncer = ButtonDebouncer(timing: timing)
        _ = debouncer.edge(.ok, pressed: true, at: ms(0))
        var events: [ButtonEvent] = []
        // 31 edges ending released.
        for index in 0...30 {
            events += debouncer.edge(.ok, pressed: index % 2 == 1, at: ms(300 + Double(index) * 0.2))
        }
        events += debouncer.advance(to: ms(400))
        #expect(events == [ButtonEvent(.ok, .release, at: ms(300))])
    }

    @Test func aPressWhoseChatterEndsReleasedIsFollowedByItsRelease() {
        var debouncer = ButtonDebouncer(timing: timing)
        var events = debouncer.edge(.back, pressed: true, at: ms(10))
        events += debouncer.edge(.back, pressed: false, at: ms(12))
        #expect(events.map(\.action) == [.press])
        events += debouncer.advance(to: ms(29))
        #expect(events.map(\.action) == [.press], "nothing before the window closes")
        events += debouncer.advance(to: ms(30))
        #expect(events == [ButtonEvent(.back, .press, at: ms(10)), ButtonEvent(.back, .release, at: ms(30))])
    }

    @Test func longPressThenAutoRepeatWhileHeldThenRelease() {
        var debouncer = ButtonDebouncer(timing: timing)
        var events = debouncer.edge(.down, pressed: true, at: ms(0))
        #expect(debouncer.nextDeadline == ms(20))
        events += debouncer.advance(to: ms(799))
        #expect(events.map(\.action) == [.press])
        // As the reader does: wake at each deadline up to 1600 ms.
        while let due = debouncer.nextDeadline, due <= ms(1600) { events += debouncer.advance(to: due) }
        events += debouncer.edge(.down, pressed: false, at: ms(1700))
        #expect(events == [
            ButtonEvent(.down, .press, at: ms(0)),
            ButtonEvent(.down, .longPress, at: ms(800)),
            ButtonEvent(.down, .autoRepeat, at: ms(1050)),
            ButtonEvent(.down, .autoRepeat, at: ms(1300)),
            ButtonEvent(.down, .autoRepeat, at: ms(1550)),
            ButtonEvent(.down, .release, at: ms(1700)),
        ])
        #expect(debouncer.nextDeadline == ms(1720))
        _ = debouncer.advance(to: ms(5000))
        #expect(debouncer.nextDeadline == nil, "nothing pending once released and quiet")
    }

    @Test func aShortPressHasNoLongPress() {
        var debouncer = ButtonDebouncer(timing: timing)
        var events = debouncer.edge(.ok, pressed: true, at: ms(0))
        events += debouncer.edge(.ok, pressed: false, at: ms(300))
        events += debouncer.advance(to: ms(3000))
        #expect(events.map(\.action) == [.press, .release])
    }

    @Test func buttonsAreDebouncedIndependently() {
        var debouncer = ButtonDebouncer(timing: timing)
        var events = debouncer.edge(.up, pressed: true, at: ms(0))
        events += debouncer.edge(.down, pressed: true, at: ms(1))
        events += debouncer.edge(.up, pressed: false, at: ms(2))
        events += debouncer.advance(to: ms(50))
        #expect(events == [ButtonEvent(.up, .press, at: ms(0)), ButtonEvent(.down, .press, at: ms(1)), ButtonEvent(.up, .release, at: ms(20))])
    }

    @Test func aStalledCallerGetsOneRepeatNotABurst() {
        var debouncer = ButtonDebouncer(timing: timing)
        _ = debouncer.edge(.left, pressed: true, at: ms(0))
        let events = debouncer.advance(to: ms(60_000))
        #expect(events.map(\.action) == [.longPress, .autoRepeat])
    }
}

/// GPIOButtons over a fake chip: the button contract, and faults as named states.
@Suite struct GPIOButtonsTests {
    let timing = ButtonTiming(debounce: .milliseconds(20), longPress: .milliseconds(800), repeatInterval: .milliseconds(250))

    @Test func meetsTheButtonContractOnAFakeChip() async {
        let chip = FakeGPIOChip(lines: [.ok: 4, .back: 5])
        let buttons = GPIOButtons(chip: "fake", lines: chip.lines, timing: timing, opener: chip.opener, now: { chip.now })
        let report = await ButtonContract(button: .ok, timing: timing).check(buttons, actuator: FakeActuator(chip: chip))
        #expect(report.passed, "\(report.failures)")
    }

    @Test func aLostEdgeIsFoundByReadingTheLineWhenTheWindowCloses() async {
        let chip = FakeGPIOChip(lines: [.ok: 4])
        let buttons = GPIOButtons(chip: "fake", lines: chip.lines, timing: timing, opener: chip.opener, now: { chip.now })
        let seen = Mutex<[ButtonAction]>([])
        let consumer = Task {
            for await input in buttons.inputs() {
                if case .event(let event) = input { seen.withLock { $0.append(event.action) } }
            }
        }
        defer { consumer.cancel() }
        await chip.hold(.milliseconds(1))
        chip.set(offset: 4, pressed: true)
        chip.setLosingTheEdge(offset: 4, pressed: false)
        await chip.hold(.milliseconds(100))
        // The stream is read by another task: give it until a generous deadline.
        let deadline = ContinuousClock.now + .seconds(60)
        while seen.withLock({ $0.count }) < 2, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        #expect(seen.withLock { $0 } == [.press, .release])
    }

    @Test func chatterWhoseLastEdgesWereLostIsStillOnePress() async {
        // What gpio-sim showed under emulation: 30 edges, the kernel kept the first 16
        // (ending released) and dropped the rest (ending pressed).
        let chip = FakeGPIOChip(lines: [.ok: 4])
        let buttons = GPIOButtons(chip: "fake", lines: chip.lines, timing: timing, opener: chip.opener, now: { chip.now })
        let seen = Mutex<[ButtonAction]>([])
        let consumer = Task {
            for await input in buttons.inputs() {
                if case .event(let event) = input { seen.withLock { $0.append(event.action) } }
            }
        }
        defer { consumer.cancel() }
        await chip.hold(.milliseconds(1))
        chip.set(offset: 4, pressed: true)
        chip.set(offset: 4, pressed: false)
        chip.setLosingTheEdge(offset: 4, pressed: true)
        await chip.hold(.milliseconds(100))
        chip.set(offset: 4, pressed: false)
        await chip.hold(.milliseconds(100))
        // The reader is idle: everything is yielded; let the consumer task take it all.
        let deadline = ContinuousClock.now + .seconds(60)
        while seen.withLock({ $0.count }) < 2, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        try? await Task.sleep(for: .milliseconds(50))
        #expect(seen.withLock { $0 } == [.press, .release], "one press: the line read pressed when the window closed")
    }

    @Test func aBusyLineIsAFaultThenRecovers() async {
        let busy = PanelError(operation: "gpiod_line_request_both_edges_events_flags", device: "fake line 4", errno: EBUSY)
        let chip = FakeGPIOChip(lines: [.ok: 4], openFailures: [busy])
        let buttons = GPIOButtons(chip: "fake", lines: chip.lines, timing: timing, opener: chip.opener, now: { chip.now },
                                  retryDelays: [.milliseconds(1)])
        var seen: [ButtonInput] = []
        for await input in buttons.inputs() {
            seen.append(input)
            if input == .recovered { chip.set(offset: 4, pressed: true) }
            if case .event = input { break }
        }
        #expect(seen.count == 3)
        guard case .fault(let fault)? = seen.first else {
            Issue.record("expected a fault first, got \(seen)")
            return
        }
        #expect(fault.code == .busy)
        #expect(seen[1] == .recovered)
        #expect(seen[2] == .event(ButtonEvent(.ok, .press, at: chip.now)))
    }

    @Test func aMissingChipIsNamedMissing() {
        #expect(throws: PanelError.self) { try LibGPIODLines(chip: "wayside-no-such-chip", offsets: [0], consumer: "test") }
        do throws(PanelError) {
            _ = try LibGPIODLines(chip: "wayside-no-such-chip", offsets: [0], consumer: "test")
        } catch {
            #expect(error.fault.code == .missing, "\(error)")
        }
    }
}

/// The control-socket stand-in meets the same contract as GPIO, in real time: its actuator
/// stamps each datagram with the sender's monotonic clock, so the verdict does not depend on
/// how fast the reader thread runs.
@Suite struct ControlSocketButtonsTests {
    struct SocketActuator: ButtonActuator {
        let path: String
        func set(_ button: Button, pressed: Bool) async throws {
            let ns = PanelCall.monotonicNow().components
            let stamp = ns.seconds * 1_000_000_000 + ns.attoseconds / 1_000_000_000
            // The reader binds its socket when the contract starts the buttons; on a loaded
            // machine that can come after the contract's start-up wait, so the first datagram
            // waits for the socket (up to 5 s) rather than failing the test.
            let message = "\(pressed ? "press" : "release") \(button.rawValue) \(stamp)"
            let giveUp = ContinuousClock.now + .seconds(5)
            while true {
                do {
                    try ControlSocketLines.send(message, to: path)
                    return
                } catch {
                    // Retried even when the path exists by now: it may have been bound just
                    // after this datagram found nothing there (seen on a clean CI clone).
                    if ContinuousClock.now > giveUp { throw error }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
        }
        func hold(_ duration: Duration) async throws { try await Task.sleep(for: duration) }
    }

    @Test func meetsTheButtonContractOverItsSocket() async {
        let path = "/tmp/wayside-buttons-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let lines: [Button: Int] = [.ok: 0, .back: 1]
        // Real time: the test's sleeps set the stamps, and on a loaded CI machine a 30 ms
        // sleep overshot the 150 ms long press once. A long press well away from the clean
        // press's hold keeps the verdict about the code, not the scheduler.
        let timing = ButtonTiming(debounce: .milliseconds(10), longPress: .milliseconds(600), repeatInterval: .milliseconds(200))
        let buttons = GPIOButtons(chip: path, lines: lines, timing: timing, opener: ControlSocketLines.opener(offsets: lines))
        let report = await ButtonContract(button: .ok, timing: timing, startup: .milliseconds(200)).check(buttons, actuator: SocketActuator(path: path))
        #expect(report.passed, "\(report.failures)")
    }
}
