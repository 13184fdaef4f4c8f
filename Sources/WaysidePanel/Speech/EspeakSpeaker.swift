#if canImport(Glibc)
import Glibc
#endif
import CEspeak
import Foundation
import Synchronization
import WaysideCore

/// libespeak-ng, driven synchronously: one engine per process (the library keeps global
/// state), so every use goes through this lock and runs on a thread of its own, never on
/// the cooperative pool (synthesis takes hundreds of milliseconds).
enum EspeakEngine {
    private struct State: ~Copyable {
        var sampleRate: Int32 = 0
        var voice = ""
        var rate: Int32 = 0
    }
    private static let state = Mutex(State())
    /// Samples of the synthesis in progress; filled by the C callback.
    static let samples = Mutex<[Int16]>([])

    /// Synthesises `text` with `voice` at `wordsPerMinute`: 16-bit mono samples and their rate.
    static func synthesize(_ text: String, voice: String, wordsPerMinute: Int) throws(PanelError) -> (samples: [Int16], rate: Int) {
        try state.withLock { (state: inout State) throws(PanelError) -> (samples: [Int16], rate: Int) in
            if state.sampleRate <= 0 {
                let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 500, nil, 0)
                guard rate > 0 else {
                    throw PanelError(operation: "espeak_Initialize", device: "espeak-ng",
                                     detail: "no espeak-ng-data; install espeak-ng-data")
                }
                espeak_SetSynthCallback { wav, count, _ in
                    if let wav, count > 0 {
                        let chunk = UnsafeBufferPointer(start: wav, count: Int(count))
                        EspeakEngine.samples.withLock { $0.append(contentsOf: chunk) }
                    }
                    return 0  // go on synthesising
                }
                state.sampleRate = rate
            }
            if state.voice != voice {
                guard espeak_SetVoiceByName(voice) == EE_OK else {
                    throw PanelError(operation: "voice", device: "espeak-ng", detail: "no voice '\(voice)' (espeak-ng --voices lists them)")
                }
                state.voice = voice
            }
            let rate = Int32(min(max(wordsPerMinute, 80), 450))
            if state.rate != rate {
                espeak_SetParameter(espeakRATE, rate, 0)
                state.rate = rate
            }
            samples.withLock { $0 = [] }
            let bytes = Array(text.utf8CString)
            let result = bytes.withUnsafeBufferPointer { buffer in
                espeak_Synth(buffer.baseAddress, buffer.count, 0, POS_CHARACTER, 0, UInt32(espeakCHARS_UTF8), nil, nil)
            }
            guard result == EE_OK else {
                throw PanelError(operation: "espeak_Synth", device: "espeak-ng", detail: "error \(result.rawValue)")
            }
            espeak_Synchronize()
            return (samples.withLock { $0 }, Int(state.sampleRate))
        }
    }
}

/// A WAV file (RIFF, PCM 16-bit mono) of `samples` at `rate`.
public func wavFile(samples: [Int16], rate: Int) -> [UInt8] {
    func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    let dataBytes = UInt32(samples.count * 2)
    var out = Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVE".utf8)
    out += Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(UInt32(rate)) + le32(UInt32(rate * 2)) + le16(2) + le16(16)
    out += Array("data".utf8) + le32(dataBytes)
    out.reserveCapacity(out.count + samples.count * 2)
    for sample in samples { out += le16(UInt16(bitPattern: sample)) }
    return out
}

/// Spoken prompts through libespeak-ng, in the voice of the prompt's language: to numbered
/// WAV files in a folder, or played on ALSA's default device with `aplay`.
/// ``repeatLast()`` says the last prompt again (the kiosk's repeat button).
public actor EspeakSpeaker: Speaker {
    public enum Output: Sendable, Equatable {
        case wavFolder(String)
        case alsa
    }
    public nonisolated let name: String
    private let output: Output
    private let voices: [String: String]
    private let wordsPerMinute: Int
    private var count = 0
    private var last: (text: String, languageTag: String)?
    private var playing: Process?

    public init(output: Output, voices: [String: String], wordsPerMinute: Int = 140) {
        self.output = output
        self.voices = voices
        self.wordsPerMinute = wordsPerMinute
        switch output {
        case .wavFolder(let path): name = "espeak-ng -> \(path)"
        case .alsa: name = "espeak-ng -> ALSA"
        }
    }

    /// The WAV files written so far (wav-folder output), in order.
    public private(set) var written: [String] = []

    public func say(_ text: String, languageTag: String) async throws {
        last = (text, languageTag)
        let voice = voices[languageTag] ?? languageTag
        let speed = wordsPerMinute
        let result: Result<(samples: [Int16], rate: Int), PanelError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                do throws(PanelError) {
                    continuation.resume(returning: .success(try EspeakEngine.synthesize(text, voice: voice, wordsPerMinute: speed)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.name = "wayside-espeak"
            thread.start()
        }
        let audio: (samples: [Int16], rate: Int)
        switch result {
        case .success(let value): audio = value
        case .failure(let error): throw error.fault
        }
        let bytes = wavFile(samples: audio.samples, rate: audio.rate)
        count += 1
        switch output {
        case .wavFolder(let folder):
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = folder + "/" + String(format: "%04d-%@.wav", count, languageTag)
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw DeviceFault(.ioError, device: path, operation: "write", detail: "cannot write the WAV file")
            }
            written.append(path)
        case .alsa:
            let path = NSTemporaryDirectory() + "wayside-prompt-\(getpid()).wav"
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw DeviceFault(.ioError, device: path, operation: "write")
            }
            guard let aplay = ["/usr/bin/aplay", "/bin/aplay"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw DeviceFault(.missing, device: "aplay", operation: "exec", detail: "install alsa-utils to play prompts")
            }
            await stop()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: aplay)
            process.arguments = ["-q", path]
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch {
                throw DeviceFault(.ioError, device: aplay, operation: "exec", detail: "\(error)")
            }
            playing = process
        }
    }

    /// Says the last prompt again; nothing when nothing was said yet.
    public func repeatLast() async throws {
        guard let last else { return }
        try await say(last.text, languageTag: last.languageTag)
    }

    public func stop() async {
        if let playing, playing.isRunning { playing.terminate() }
        playing = nil
    }
}
