/// Spoken prompts: espeak-ng to ALSA, or to WAV files on the sim board.
public protocol Speaker: Sendable {
    var name: String { get }
    /// Speaks `text` in the voice for `languageTag`; returns when it has been handed
    /// to the audio device. Throws a ``DeviceFault`` if there is no voice or device.
    func say(_ text: String, languageTag: String) async throws
    /// Stops whatever is being spoken (the person moved on).
    func stop() async
}
