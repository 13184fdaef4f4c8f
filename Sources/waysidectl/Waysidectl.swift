import ArgumentParser
import Foundation
import WaysideBoard
import WaysideCore

/// The operator's tool.
@main
struct Waysidectl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waysidectl",
        abstract: "Operate Wayside kiosks: check profiles and catalogs, enrol devices, inspect the outbox, benchmark and evaluate.",
        discussion: "Run 'waysidectl help <subcommand>' for each subcommand's options.",
        subcommands: [
            CheckBoard.self,
            CheckCatalogs.self,
            Bench.self,
            Eval.self,
            Calibrate.self,
            Train.self,
            CameraTool.self,
            PanelTool.self,
            EnrolCommand.self, OutboxCommand.self, ExportCommand.self, ForgetCommand.self, StationCommand.self,
        ])
}

/// `waysidectl check-board`: validate board profiles before deploying them.
struct CheckBoard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-board",
        abstract: "Validate board profiles (all found on the search path, or the ones named).")

    @Argument(help: "Board names or .toml paths; all known boards when omitted.")
    var boards: [String] = []

    func run() throws {
        let loader = BoardProfileLoader()
        let names = boards.isEmpty ? loader.availableBoards() : boards
        var failed = 0
        for name in names {
            do {
                let profile = try loader.load(name)
                print("ok    \(name): role \(profile.role.rawValue), camera \(profile.camera.kind.rawValue), buttons \(profile.buttons.kind.rawValue), display \(profile.display.kind.rawValue)")
            } catch {
                failed += 1
                print("FAIL  \(error)")
            }
        }
        if failed > 0 { throw ExitCode(2) }
    }
}

/// `waysidectl check-catalogs`: every key of the English catalog exists in every language.
struct CheckCatalogs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-catalogs",
        abstract: "Check that every message exists in every shipped language.")

    func run() throws {
        let catalog = try MessageCatalog.bundled()
        var missing = 0
        for language in catalog.languages {
            let keys = catalog.missingKeys(in: language.tag).sorted()
            missing += keys.count
            print(keys.isEmpty ? "ok    \(language.tag)" : "FAIL  \(language.tag): missing \(keys.joined(separator: ", "))")
        }
        if missing > 0 { throw ExitCode(1) }
    }
}
