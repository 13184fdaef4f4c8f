import Foundation
import Testing
import WaysideCore
import WaysideDevices
import WaysideIntake
import WaysidePanel
import WaysideStation
import WaysideStore
import WaysideUplink

/// Whole visits on the real daemon (`wayside` with the sim board's stand-ins), driven
/// through its control socket by a scripted person and officer, against a real intake over
/// HTTP: registrations in three languages (one right to left), a declined photo, an
/// unreachable intake, a liveness failure that ends with staff, then port check-ins with
/// a match, a non-match the officer refers, and a photo-free check-in.
@Suite(.serialized, .enabled(if: Prerequisites.met, Comment(rawValue: Prerequisites.missing)))
struct ScriptedVisits {
    typealias Step = ScriptedVisitor.Step

    /// What a shelter visit must leave behind, whatever its language.
    func expectForgotten(_ visit: ControlledKiosk.Visit, names: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let afterReceipt = visit.screens.drop { !$0.id.hasPrefix("saved") }.drop { $0.id.hasPrefix("saved") }
        #expect(afterReceipt.first?.id == "blank", "the receipt is wiped first", sourceLocation: sourceLocation)
        #expect(afterReceipt.last?.id == "attract", "the next person sees the attract screen", sourceLocation: sourceLocation)
        for screen in afterReceipt {
            let text = ([screen.title, screen.entry ?? ""] + screen.lines + screen.choices).joined(separator: " ")
            for name in names { #expect(!text.contains(name), "\(screen.id) still shows \(name)", sourceLocation: sourceLocation) }
        }
    }

    @Test func shelterRegistrationsThenPortCheckIns() async throws {
        let intake = try TestIntake()
        try await intake.start()
        let shelterData = try scratchDirectory("shelter")
        _ = try await Enroller.enrol(stateDirectory: shelterData, intakeURL: intake.url, token: intake.token,
                                     deviceID: "shelter-1", role: .shelter)

        // 1. Arabic (right to left), with a photo.
        let amal = VisitorPocket()
        var kiosk = try ControlledKiosk(profile: Profiles.shelter(data: shelterData, camera: try cameraFolder(showing: "obama.jpg"), intake: intake.url))
        let arabic = try await kiosk.play(Scripts.opening(languageDowns: 7)
            + Scripts.details(given: "AMAL", family: "HADDAD", birth: "02031988", aNumber: "212345678")
            + [Step(on: "consent", press: .ok), Step(on: "photo-review", press: .ok), Step(on: "saved", press: .ok)], pocket: amal)
        let amalCode = try #require(amal.confirmationCode)
        let notice = try #require(arabic.screen("notice"))
        #expect(notice.direction == .rightToLeft && notice.languageTag == "ar")
        let receipt = try #require(arabic.screen("saved"))
        #expect(receipt.direction == .rightToLeft && receipt.lines.contains { $0.contains(amalCode) })
        // Spoken in Arabic, the code read out character by character twice.
        let spelled = amalCode.split(separator: "-").map { $0.map(String.init).joined(separator: " ") }.joined(separator: ", ")
        #expect(arabic.spoken.filter { $0.text.contains(spelled) && $0.languageTag == "ar" }.count == 2)
        #expect(arabic.spoken.contains { $0.languageTag == "ar" && $0.text == notice.title })
        expectForgotten(arabic, names: ["AMAL", "HADDAD", amalCode])
        let amalRecord = try #require(try await intake.storage.export(code: amalCode))
        #expect(amalRecord.holdsTemplate && amalRecord.holdsPhoto)

        // 2. Haitian Creole, photo declined: registered all the same, nothing biometric sent.
        let jean = VisitorPocket()
        let creole = try await kiosk.play(Scripts.opening(languageDowns: 2)
            + Scripts.details(given: "JEAN", family: "PIERRE", birth: "11111979", aNumber: "")
            + [Step(on: "consent", press: .down), Step(on: "consent", press: .ok), Step(on: "saved", press: .ok)], pocket: jean)
        let jeanCode = try #require(jean.confirmationCode)
        #expect(!creole.ids.contains("capture"), "the camera started after the photo was declined")
        #expect(creole.screen("saved")?.languageTag == "ht")
        #expect(creole.spoken.contains { $0.languageTag == "ht" })
        expectForgotten(creole, names: ["JEAN", "PIERRE"])
        let jeanRecord = try #require(try await intake.storage.export(code: jeanCode))
        #expect(!jeanRecord.holdsTemplate && !jeanRecord.holdsPhoto)
        _ = await kiosk.stop()

        // 3. Mandarin, with a photo, while the intake is down: saved, told it will be sent,
        //    and sent when the intake returns.
        await intake.stop()
        let li = VisitorPocket()
        kiosk = try ControlledKiosk(profile: Profiles.shelter(data: shelterData, camera: try cameraFolder(showing: "biden.jpg"), intake: intake.url))
        let mandarin = try await kiosk.play(Scripts.opening(languageDowns: 6)
            + Scripts.details(given: "LI", family: "WEI", birth: "05061992", aNumber: "")
            + [Step(on: "consent", press: .ok), Step(on: "photo-review", press: .ok), Step(on: "saved-offline", press: .ok)], pocket: li)
        let liCode = try #require(li.confirmationCode)
        let offline = try #require(mandarin.screen("saved-offline"))
        #expect(offline.languageTag == "zh" && offline.lines.count >= 3, "the offline receipt says it will be sent and how to check")
        // Asked at once, the kiosk knows the request is still on it, waiting for the network.
        let catalog = try MessageCatalog.bundled()
        let waiting = try await kiosk.play(Scripts.statusCheck(languageDowns: 6), pocket: li)
        #expect(waiting.screen("status")?.lines == [catalog.text("status.waiting", in: try #require(catalog.language(tagged: "zh")))])
        try await intake.start()
        var arrived: PersonExport?
        for _ in 0..<150 where arrived == nil {
            arrived = try await intake.storage.export(code: liCode)
            if arrived == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(arrived?.holdsTemplate == true, "the offline submission did not reach the intake under the code the person was given")
        let shelterLog = await kiosk.stop()
        #expect(shelterLog.stderrText.contains("submission saved"))

        // What the shelter kiosk keeps is sealed: no typed name in its files.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: shelterData)) ?? [] {
            let bytes = FileManager.default.contents(atPath: shelterData + "/" + name) ?? Data()
            for typed in ["AMAL", "HADDAD", "JEAN", "PIERRE"] {
                #expect(bytes.range(of: Data(typed.utf8)) == nil, "\(name) holds \(typed) in the clear")
            }
        }

        // 4. The port: an officer checks the three in.
        let portData = try scratchDirectory("port")
        _ = try await Enroller.enrol(stateDirectory: portData, intakeURL: intake.url, token: intake.token, deviceID: "station-1", role: .port)
        try OfficerPIN(pin: "4826").write(to: portData)
        let station = try ControlledKiosk(profile: Profiles.port(data: portData, camera: try cameraFolder(showing: "obama2.jpg"),
                                                                 intake: intake.url, port: "San Ysidro"))
        let lock: [Step] = [Step(on: "port-menu", press: .down), Step(on: "port-menu", press: .down), Step(on: "port-menu", press: .ok)]

        // Amal, another photo of her: a match the officer confirms.
        let matched = try await station.play(Array(ScriptedVisitor.portCheckIn(pin: "4826").dropLast(3)), pocket: amal)
        #expect(matched.ids.contains("port-result-match"), "\(matched.ids)")
        let arrivedAmal = try #require(matched.screen("port-recorded-checked-in"))
        #expect(arrivedAmal.languageTag == "ar" && arrivedAmal.direction == .rightToLeft)
        #expect(matched.spoken.contains { $0.languageTag == "ar" }, "the person is spoken to in their language")

        // Li's code, but Amal's face in front of the camera: not a match; the officer refers.
        let referred = try await station.play(Array(ScriptedVisitor.portCheckIn(pin: "4826").dropFirst().dropLast(3)), pocket: li)
        #expect(referred.ids.contains("port-result-no-match") || referred.ids.contains("port-result-review"), "\(referred.ids)")
        #expect(!referred.ids.contains("port-recorded-checked-in"))
        #expect(referred.screen("port-recorded-referred")?.languageTag == "zh")

        // Jean registered without a photo: the documents decide, to the same outcome.
        let documents = try await station.play([
            Step(on: "port-menu", press: .ok), Step(on: "port-identify", press: .ok), Step(typeCarriedCodeOn: "port-code"),
            Step(on: "port-appointment", press: .ok), Step(on: "port-biographic", press: .ok),
            Step(on: "port-recorded-checked-in", press: .ok),
        ] + lock, pocket: jean)
        let appointment = try #require(documents.screen("port-appointment"))
        #expect(appointment.choices.count == 1 && appointment.lines.contains { $0.contains("PIERRE") })
        #expect(!documents.ids.contains("capture"))
        #expect(documents.ids.last == "port-locked")
        let stationLog = await station.stop()

        for code in [amalCode, liCode, jeanCode] {
            let status = try await intake.storage.status(code: code)
            #expect(status.state == .checkedIn, "\(code): \(status.state)")
        }
        #expect(try await intake.storage.auditLog().filter { $0.action == "check-in" && $0.actor == "station-1" }.count == 3)
        #expect(stationLog.stderrText.contains("gallery fetched"))

        // Back at the shelter, Amal's code tells her she has checked in, in Arabic.
        let shelter = try ControlledKiosk(profile: Profiles.shelter(data: shelterData, camera: try cameraFolder(showing: "obama.jpg"), intake: intake.url))
        let asked = try await shelter.play(Scripts.statusCheck(languageDowns: 7), pocket: amal)
        _ = await shelter.stop()
        let answer = try #require(asked.screen("status"))
        #expect(answer.lines == [catalog.text("status.checkedIn", in: try #require(catalog.language(tagged: "ar")))])
        #expect(answer.direction == .rightToLeft && asked.spoken.contains { $0.text == answer.lines[0] })
        await intake.stop()
    }

    /// A photo that cannot follow the head-movement challenge fails it; after three tries the
    /// kiosk offers staff help and the photo-free path, and the person still registers.
    @Test func livenessFailureEndsWithStaffAndAPhotoFreeRegistration() async throws {
        let intake = try TestIntake()
        try await intake.start()
        let data = try scratchDirectory("live")
        _ = try await Enroller.enrol(stateDirectory: data, intakeURL: intake.url, token: intake.token, deviceID: "shelter-2", role: .shelter)
        let kiosk = try ControlledKiosk(profile: Profiles.shelter(data: data, camera: try cameraFolder(showing: "obama.jpg"),
                                                                  intake: intake.url, liveness: true))
        let pocket = VisitorPocket()
        let visit = try await kiosk.play(Scripts.opening(languageDowns: 1)
            + Scripts.details(given: "ROSA", family: "DIAZ", birth: "09091999", aNumber: "")
            + [Step(on: "consent", press: .ok),
               Step(on: "capture-trouble", press: .down), Step(on: "capture-trouble", press: .ok),   // ask for staff
               Step(on: "help", press: .ok),                                                        // staff came
               Step(on: "capture-trouble", press: .up), Step(on: "capture-trouble", press: .ok),    // register without a photo
               Step(on: "saved", press: .ok)],
            pocket: pocket, timeout: .seconds(150))
        _ = await kiosk.stop()
        #expect(visit.ids.filter { $0 == "capture" }.count >= 3, "three tries before the alternatives")
        #expect(visit.lamp.first == true && visit.lamp.contains(false), "the help lamp came on for staff, and went off")
        let trouble = try #require(visit.screen("capture-trouble"))
        #expect(trouble.languageTag == "es" && trouble.choices.count == 3)
        let code = try #require(pocket.confirmationCode)
        let record = try #require(try await intake.storage.export(code: code))
        #expect(!record.holdsTemplate && !record.holdsPhoto)
        await intake.stop()
    }
}
