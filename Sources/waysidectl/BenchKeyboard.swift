import ArgumentParser
import Foundation
import WaysideCore

/// `waysidectl bench keyboard`: button presses to type names on the kiosk's keyboard.
///
/// The names are the identities of a folder of face images (LFW's folder names, e.g.
/// `George_W_Bush`), which the predictor never saw: it was trained on census name lists.
/// Reports presses per letter and for a 20-letter name, with and without prediction, for
/// the kiosk's layout and for a plain alphabetical one.
struct BenchKeyboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyboard",
        abstract: "Measure button presses to type real names on the kiosk's keyboard.")

    @Option(help: "A folder whose sub-folder names are people's names (LFW's images/).")
    var names: String = "../shared/data/lfw/images"

    func run() throws {
        guard let folders = try? FileManager.default.contentsOfDirectory(atPath: names) else {
            throw ValidationError("no names folder at \(names); pass --names with LFW's images/ folder")
        }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ -'")
        let people = folders.map { String($0.replacingOccurrences(of: "_", with: " ").uppercased().filter { allowed.contains($0) }) }
            .filter { !$0.isEmpty }.sorted()
        let predictor = try NextLetterPredictor.bundled()
        let alphabetical = GridKeyboard(rows: stride(from: 0, to: 26, by: 6).map { start in
            (start..<min(start + 6, 26)).map { GridKey.character(Character(UnicodeScalar(UInt8(65 + $0)))) }
        } + [[.character(" "), .character("-"), .character("'"), .delete, .done]])
        let layouts: [(String, GridKeyboard)] = [
            ("kiosk layout, predicted cursor", .latinLetters(predictor: predictor)),
            ("kiosk layout, cursor stays", .latinLetters()),
            ("alphabetical, cursor stays", alphabetical),
        ]
        print("names: \(people.count) from \(names)")
        print("layout".padding(toLength: 34, withPad: " ", startingAt: 0) + "presses/letter  per 20-letter name (goal < 60)")
        for (label, keyboard) in layouts {
            var presses = 0, letters = 0
            for name in people {
                presses += keyboard.pressesToType(name) - 1 // the final tick is one press per name, not per letter
                letters += name.count
            }
            let perLetter = Double(presses) / Double(letters)
            print(label.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%14.2f  %8.1f (+1 to finish)", perLetter, perLetter * 20))
        }
    }
}

/// `waysidectl bench`: benchmarks that print figures against a named peer or goal.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (run on an otherwise idle machine).",
        subcommands: [BenchKeyboard.self, BenchCamera.self, BenchPanel.self, BenchMatch.self, BenchFace.self])
}
