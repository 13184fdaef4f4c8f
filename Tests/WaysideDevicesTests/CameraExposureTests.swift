import Foundation
import Testing
import WaysideCore
import WaysideDevices

/// A sensor in front of a scene: linear light times exposure and gain, clipped at full
/// well, gamma-encoded to 8 bits as a webcam does (1/2.2).
struct SimulatedSensor {
    var width = 64, height = 48
    /// Radiance of the window behind the person (the bright background).
    var background = 1.0
    /// Radiance of the face; a dark face against a window is some 30x darker.
    var face: Double
    let faceBox = PixelRect(x: 24, y: 14, width: 16, height: 20)
    /// Exposure x gain that fills the well at radiance 1.
    var fullWell = 10.0
    var limits = ExposureLimits(exposure: 3...333, gain: 0...100, gainSpan: 4)

    func frame(_ settings: ExposureSettings) -> Frame {
        let gain = 1 + Double(settings.gain - limits.gain!.lowerBound) / Double(limits.gain!.upperBound - limits.gain!.lowerBound) * (limits.gainSpan - 1)
        func encode(_ radiance: Double) -> UInt8 {
            let linear = min(1, radiance * Double(settings.exposure) * gain / fullWell)
            return UInt8((255 * pow(linear, 1 / 2.2)).rounded())
        }
        let window = encode(background), skin = encode(face)
        var bytes: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let inFace = x >= faceBox.x && x < faceBox.x + faceBox.width && y >= faceBox.y && y < faceBox.y + faceBox.height
                bytes += [inFace ? skin : window, 128]  // YUYV: luma then neutral chroma
            }
        }
        return Frame(width: width, height: height, format: .yuyv, bytes: bytes)
    }

    /// Runs `steps` frames of a controller metering `region`; returns the face luma after each.
    func run(_ controller: FaceExposureController, metering region: PixelRect?, from start: ExposureSettings,
             steps: Int) -> (faceLuma: [Double], settings: [ExposureSettings]) {
        var settings = start
        var lumas: [Double] = [], history: [ExposureSettings] = []
        for _ in 0..<steps {
            let frame = frame(settings)
            let whole = PixelRect(x: 0, y: 0, width: width, height: height)
            let measured = FaceExposureController.meanLuma(of: frame, in: region ?? whole) ?? 0
            if let next = controller.next(faceMean: measured, current: settings, limits: limits) { settings = next }
            lumas.append(FaceExposureController.meanLuma(of: self.frame(settings), in: faceBox) ?? 0)
            history.append(settings)
        }
        return (lumas, history)
    }
}

@Suite struct CameraExposure {
    let controller = FaceExposureController()
    /// What the camera's own auto exposure leaves: exposed for the window.
    let windowExposed = ExposureSettings(exposure: 3, gain: 0)

    @Test func wholeFrameMeteringLeavesADarkFaceInTheShadows() {
        // The problem this controller exists for: metering the whole frame.
        let sensor = SimulatedSensor(face: 0.03)
        let run = sensor.run(controller, metering: nil, from: windowExposed, steps: 20)
        let face = run.faceLuma.last ?? 0
        #expect(face < 60, "face luma \(face): the scene is too easy to show the problem")
    }

    @Test(arguments: [0.03, 0.01, 0.004])
    func faceMeteringConvergesOnADarkFaceInFrontOfABrightWindow(face radiance: Double) {
        let sensor = SimulatedSensor(face: radiance)
        let run = sensor.run(controller, metering: sensor.faceBox, from: windowExposed, steps: 30)
        let settled = run.faceLuma.firstIndex { abs($0 - controller.target) <= controller.tolerance + 1 }
        #expect(settled != nil && settled! < 10, "face radiance \(radiance): luma \(run.faceLuma.map { Int($0) })")
        // Once there, it stays: no hunting.
        if let settled {
            let after = run.faceLuma[settled...]
            #expect(after.allSatisfy { abs($0 - controller.target) <= controller.tolerance + 1 })
            #expect(Set(run.settings[(settled + 1)...]).count <= 1, "settings kept changing after convergence")
        }
    }

    @Test func exposureIsUsedBeforeGainAndGainOnlyPastTheCeiling() {
        let bright = SimulatedSensor(face: 0.03)
        let easy = bright.run(controller, metering: bright.faceBox, from: windowExposed, steps: 20).settings.last
        #expect(easy?.gain == 0 && (easy?.exposure ?? 0) < 333, "enough light: no gain (it adds noise)")
        let dim = SimulatedSensor(face: 0.004)
        let hard = dim.run(controller, metering: dim.faceBox, from: windowExposed, steps: 20).settings.last
        #expect(hard?.exposure == 333 && (hard?.gain ?? 0) > 0, "past the exposure ceiling, gain makes up the rest: \(String(describing: hard))")
    }

    @Test func aClippedFaceComesDown() {
        let sensor = SimulatedSensor(face: 0.5)
        let run = sensor.run(controller, metering: sensor.faceBox, from: ExposureSettings(exposure: 333, gain: 100), steps: 20)
        #expect(abs((run.faceLuma.last ?? 0) - controller.target) <= controller.tolerance + 1, "\(run.faceLuma.map { Int($0) })")
        #expect(run.settings.last?.gain == 0)
    }

    @Test func withinTheDeadBandNothingChanges() {
        #expect(controller.next(faceMean: controller.target + 5, current: ExposureSettings(exposure: 100, gain: 0),
                                limits: ExposureLimits(exposure: 3...333, gain: 0...100)) == nil)
    }

    @Test func meanLumaReadsEveryFormatAlike() throws {
        let region = PixelRect(x: 2, y: 1, width: 4, height: 2)
        let gray = Frame(width: 8, height: 4, format: .gray8, bytes: (0..<32).map { UInt8($0 * 4) })
        let mean = try #require(FaceExposureController.meanLuma(of: gray, in: region))
        // Rows 1-2, columns 2-5: values 4*(8y+x).
        #expect(mean == Double([10, 11, 12, 13, 18, 19, 20, 21].map { $0 * 4 }.reduce(0, +)) / 8)
        let yuyv = Frame(width: 8, height: 4, format: .yuyv, bytes: gray.bytes.flatMap { [$0, 128] })
        #expect(FaceExposureController.meanLuma(of: yuyv, in: region) == mean)
        let rgb = Frame(width: 8, height: 4, format: .rgb24, bytes: gray.bytes.flatMap { [$0, $0, $0] })
        #expect(abs((FaceExposureController.meanLuma(of: rgb, in: region) ?? 0) - mean) < 1)
        #expect(FaceExposureController.meanLuma(of: gray, in: PixelRect(x: 100, y: 100, width: 5, height: 5)) == nil)
    }

    @Test func theCameraSwitchesToManualAndRaisesExposureForADarkFace() async {
        let world = FakeCameraWorld()
        world.with {
            $0.generatedFrameSize = 64
            $0.controls = [
                V4L2ControlInfo(id: V4L2ControlID.exposureAuto, name: "Auto Exposure", kind: .menu, minimum: 0, maximum: 3, step: 1, defaultValue: 3),
                V4L2ControlInfo(id: V4L2ControlID.exposureAbsolute, name: "Exposure Time, Absolute", kind: .integer,
                                minimum: 3, maximum: 2047, step: 1, defaultValue: 250),
                V4L2ControlInfo(id: V4L2ControlID.gain, name: "Gain", kind: .integer, minimum: 0, maximum: 100, step: 1, defaultValue: 0),
            ]
            $0.values = [V4L2ControlID.exposureAuto: 3, V4L2ControlID.exposureAbsolute: 20, V4L2ControlID.gain: 0]
        }
        let camera = fakeCamera(world)
        let consumer = Task { for await _ in camera.events() {} }
        defer { consumer.cancel() }
        #expect(await eventually { world.with { $0.streaming } })
        let sensor = SimulatedSensor(face: 0.03)
        await camera.meter(on: sensor.faceBox, of: sensor.frame(ExposureSettings(exposure: 3, gain: 0)))
        let values = world.with { $0.values }
        #expect(values[V4L2ControlID.exposureAuto] == V4L2ControlID.exposureManual)
        #expect((values[V4L2ControlID.exposureAbsolute] ?? 0) > 20)
        #expect(camera.meteredSettings?.exposure == values[V4L2ControlID.exposureAbsolute])
    }
}
