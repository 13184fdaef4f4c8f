import Foundation
import Testing
import WaysideCore
import WaysidePanel

@Suite struct EspeakSpeakerTests {
    @Test func speaksToAWAVFileAndRepeatsTheLastPrompt() async throws {
        let folder = NSTemporaryDirectory() + "wayside-speech-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let speaker = EspeakSpeaker(output: .wavFolder(folder), voices: ["ht": "ht", "en": "en-us"])
        try await speaker.say("Byenveni. Peze nenpòt bouton.", languageTag: "ht")
        try await speaker.repeatLast()
        let files = await speaker.written
        #expect(files.count == 2)
        let wav = try #require(FileManager.default.contents(atPath: files[0]))
        #expect(wav.prefix(4) == Data("RIFF".utf8))
        #expect(wav[8..<12] == Data("WAVE".utf8))
        let rate = Int(wav[24]) | Int(wav[25]) << 8 | Int(wav[26]) << 16
        let seconds = Double(wav.count - 44) / Double(rate * 2)
        #expect(seconds > 0.5 && seconds < 20, "\(seconds) s of speech")
        let repeated = try #require(FileManager.default.contents(atPath: files[1]))
        // espeak-ng varies its output slightly from run to run: the same prompt, not the same bytes.
        #expect(abs(repeated.count - wav.count) < wav.count / 10, "the repeat is the same prompt")
    }

    @Test func anUnknownVoiceIsAFaultNotACrash() async {
        let speaker = EspeakSpeaker(output: .wavFolder(NSTemporaryDirectory()), voices: [:])
        await #expect(throws: DeviceFault.self) { try await speaker.say("x", languageTag: "xx-no-such-voice") }
    }
}
