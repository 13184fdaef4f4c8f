import Foundation
import Logging
import ServiceLifecycle
import Testing
import WaysideCore
import WaysideDaemon
import WaysideDevices
import WaysideTesting

func parts(buttons: any ButtonSource, screen: RecordingScreen, outbox: any Outbox,
           photo: Result<CapturedPhoto, DeviceFault> = .success(CapturedPhoto(jpeg: Data([0xFF, 0xD8])))) -> KioskParts {
    KioskParts(camera: FakeCamera([]), buttons: buttons, screen: screen, speaker: RecordingSpeaker(),
               outbox: outbox, photoTaker: StubPhotoTaker(photo))
}

/// Runs `service` while feeding `visitor` what the kiosk shows, until the visit is played.
func play(_ service: KioskService, visitor: ScriptedVisitor, watching screen: RecordingScreen) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await service.run() }
        group.addTask {
            var seen = 0
            while await !visitor.finished {
                let shown = await screen.shown
                for content in shown.dropFirst(seen) { await visitor.show(content) }
                seen = shown.count
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        try await group.waitForAll()
    }
}

/// Waits (bounded) until `condition` holds.
func eventually(_ timeout: Duration = .seconds(120), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return false
}

@Suite struct KioskServiceLife {
    let logger = Logger(label: "test")

    @Test func scriptedVisitRunsToTheEndAndStops() async throws {
        let visitor = ScriptedVisitor(script: ScriptedVisitor.shelterVisit)
        let screen = RecordingScreen()
        let outbox = MemoryOutbox()
        let service = KioskService(parts: parts(buttons: visitor, screen: screen, outbox: outbox),
                                   flow: ShelterFlow(catalog: try MessageCatalog.bundled()), logger: logger, receiptWait: .milliseconds(50))
        try await play(service, visitor: visitor, watching: screen)
        #expect(await outbox.depth() == 1)
        #expect(await screen.ids.last == "attract")
        #expect(await screen.ids.contains("saved-offline"))
    }

    /// "Is this you?" shows the photo (cropped to the face), and only while it is asked.
    @Test func theReviewScreenShowsThePhotoJustTakenAndNothingAfter() async throws {
        let picture = Frame(width: 64, height: 48, format: .rgb24, bytes: [UInt8](repeating: 200, count: 64 * 48 * 3))
        let photo = CapturedPhoto(jpeg: Data([0xFF, 0xD8]), faceBox: PixelRect(x: 24, y: 12, width: 16, height: 16), picture: picture)
        let visitor = ScriptedVisitor(script: ScriptedVisitor.shelterVisit)
        let screen = RecordingScreen()
        let service = KioskService(parts: parts(buttons: visitor, screen: screen, outbox: MemoryOutbox(), photo: .success(photo)),
                                   flow: ShelterFlow(catalog: try MessageCatalog.bundled()), logger: logger, receiptWait: .milliseconds(50))
        try await play(service, visitor: visitor, watching: screen)
        let shown = await screen.shown
        let review = try #require(shown.first { $0.id == "photo-review" })
        let preview = try #require(review.preview)
        // Cropped around the 16 px face: the person sees their face, not the room.
        #expect(preview.width < picture.width && preview.height <= picture.height && preview.width >= 16)
        #expect(review.faceBox == nil)
        let afterReview = shown.drop { $0.id != "photo-review" }.drop { $0.id == "photo-review" }
        #expect(!afterReview.isEmpty && afterReview.allSatisfy { $0.preview == nil })
    }

    /// While the photo is being taken the capture screen shows the camera live, at most about
    /// 15 frames a second; no frame reaches any other screen.
    @Test func theCaptureScreenShowsTheCameraLiveAndOnlyIt() async throws {
        let frames = (0..<6).map { Frame(width: 8, height: 8, format: .gray8, bytes: [UInt8](repeating: UInt8($0 * 10), count: 64)) }
        let visitor = ScriptedVisitor(script: ScriptedVisitor.shelterVisit)
        let screen = RecordingScreen()
        var kioskParts = parts(buttons: visitor, screen: screen, outbox: MemoryOutbox())
        kioskParts.photoTaker = StubPhotoTaker(.success(CapturedPhoto(jpeg: Data([0xFF, 0xD8]))), liveFrames: frames)
        let service = KioskService(parts: kioskParts, flow: ShelterFlow(catalog: try MessageCatalog.bundled()), logger: logger,
                                   receiptWait: .milliseconds(50))
        try await play(service, visitor: visitor, watching: screen)
        let live = await screen.live
        #expect(live.count == frames.count, "every frame 100 ms apart is drawn")
        #expect(live.allSatisfy { $0.screen == "capture" })
        #expect(live.map(\.frame) == frames)
    }

    @Test func gracefulShutdownLetsAnInFlightCommitFinish() async throws {
        // A visit that declines the photo: the submission is committed as soon as consent is answered.
        let script = Array(ScriptedVisitor.shelterVisit.prefix(12)) + [
            ScriptedVisitor.Step(on: "consent", press: .down), ScriptedVisitor.Step(on: "consent", press: .ok),
        ]
        let visitor = ScriptedVisitor(script: script)
        let screen = MirroredScreen([RecordingScreen(), visitor])
        let outbox = SlowOutbox(commitDelay: .milliseconds(400))
        let parts = KioskParts(camera: FakeCamera([]), buttons: visitor, screen: screen, speaker: RecordingSpeaker(),
                               outbox: outbox, photoTaker: StubPhotoTaker(.success(CapturedPhoto(jpeg: Data()))))
        let service = KioskService(parts: parts, flow: ShelterFlow(catalog: try MessageCatalog.bundled()), logger: logger)
        let group = ServiceGroup(services: [service], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await eventually { await outbox.commitStarted })
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // The service returned only after the commit it had started was complete.
        #expect(await outbox.committed.count == 1)
    }

    @Test func shutdownWithNothingInFlightStopsAtOnce() async throws {
        let buttons = FakeButtons()
        let screen = RecordingScreen()
        let service = KioskService(parts: parts(buttons: buttons, screen: screen, outbox: MemoryOutbox()),
                                   flow: ShelterFlow(catalog: try MessageCatalog.bundled()), logger: logger)
        let group = ServiceGroup(services: [service], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await eventually { await screen.ids == ["attract"] })
            await group.triggerGracefulShutdown()
            // Returns although the buttons never ended: shutdown does not wait for input.
            try await tasks.waitForAll()
        }
        #expect(await screen.ids == ["attract"])
    }

    @Test func heartbeatIsFreshWhileTheLoopRuns() async throws {
        let heartbeat = Heartbeat()
        try await Task.sleep(for: .milliseconds(30))
        #expect(heartbeat.age >= .milliseconds(30))
        heartbeat.beat()
        #expect(heartbeat.age < .milliseconds(30))
    }
}

@Suite struct JournalLines {
    @Test func priorityPrefixAndSortedMetadata() {
        let line = JournalLogHandler.format(level: .warning, label: "wayside", message: "camera lost", metadata: ["device": "/dev/video0", "attempt": "3"])
        #expect(line == "<4>wayside: camera lost attempt=3 device=/dev/video0")
    }

    @Test func personalDataIsRedactedWhateverTheCaller() {
        let line = JournalLogHandler.format(level: .info, label: "w", message: "x",
                                            metadata: ["name": "Maria Lopez", "a_number": "A123456789", "birthDate": "1990-01-01"])
        #expect(!line.contains("Maria"))
        #expect(!line.contains("A123456789"))
        #expect(!line.contains("1990"))
        #expect(line.contains("name=[redacted]"))
    }

    @Test func oneEntryPerLine() {
        let line = JournalLogHandler.format(level: .error, label: "w", message: "a\nb", metadata: [:])
        #expect(!line.contains("\n"))
    }
}
