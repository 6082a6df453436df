import ArgumentParser
struct SplatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "splat", abstract: "Plain 3D Gaussian splatting: render and fit scenes.")
}
