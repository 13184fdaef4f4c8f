import Foundation
import WaysideCore

/// A ``Speaker`` that writes each prompt as a numbered WAV file with espeak-ng, and the
/// text to `transcript.txt` beside them: the sim board's ears, and a record tests can read.
public actor WAVFolderSpeaker: Speaker {
    public nonisolated let name: String
    private let folder: URL
    private let voices: [String: String]
    private let wordsPerMinute: Int
    private let espeak: String?
    private var count = 0

    /// - Parameters:
    ///   - voices: espeak-ng voice for each language tag.
    public init(folder: String, voices: [String: String], wordsPerMinute: Int = 140) {
        self.name = "wav: \(folder)"
        self.folder = URL(fileURLWithPath: folder)
        self.voices = voices
        self.wordsPerMinute = wordsPerMinute
        self.espeak = ["/usr/bin/espeak-ng", "/usr/local/bin/espeak-ng"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public func say(_ text: String, languageTag: String) async throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw DeviceFault(.ioError, device: folder.path, operation: "mkdir", detail: "\(error)")
        }
        count += 1
        let stem = String(format: "%04d-%@", count, languageTag)
        let line = "\(stem)\t\(text)\n"
        let transcript = folder.appendingPathComponent("transcript.txt")
        if let handle = try? FileHandle(forWritingTo: transcript) {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data(line.utf8))
            try? handle.close()
        } else {
            try? Data(line.utf8).write(to: transcript)
        }
        guard let espeak else {
            throw DeviceFault(.missing, device: "espeak-ng", operation: "exec", detail: "espeak-ng is not installed (apt-get install espeak-ng)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: espeak)
        process.arguments = ["-v", voices[languageTag] ?? languageTag, "-s", String(wordsPerMinute),
                             "-w", folder.appendingPathComponent(stem + ".wav").path, "--", text]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw DeviceFault(.ioError, device: espeak, operation: "exec", detail: "\(error)")
        }
        // Wait without blocking a cooperative thread: poll the child at a short interval.
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        guard process.terminationStatus == 0 else {
            throw DeviceFault(.ioError, device: espeak, operation: "synthesise", detail: "exit status \(process.terminationStatus)")
        }
    }

    public func stop() {}
}
