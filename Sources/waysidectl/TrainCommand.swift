import ArgumentParser

/// `waysidectl train`: fit the parameters the project ships as data files (each file records
/// the command that made it).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the parameters shipped as data: the comparison back-end and the liveness texture check.",
        subcommands: [TrainComparison.self, TrainLiveness.self])
}
