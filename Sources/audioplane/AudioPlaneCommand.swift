import ArgumentParser
import Foundation

/// Entry point: `audioplane <subcommand>`. Wiring only — the work lives in the library modules.
@main
struct AudioPlaneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audioplane",
        abstract: "Audio-driven 3D Gaussian-splatting talking heads, on a CPU.",
        subcommands: [
            DemoCommand.self,
            SplatCommand.self,
            BenchCommand.self,
            FeaturesCommand.self,
            SayCommand.self,
            SynthCommand.self,
            DatasetCommand.self,
            LPIPSCommand.self,
            TrainCommand.self,
            RenderCommand.self,
            EvalCommand.self,
        ])

    /// Runs the command; any error becomes one line on stderr and exit code 1 (2 for usage errors).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exitWithOneLine(error)
        }
    }
}

/// Prints errors as one line and exits non-zero. ArgumentParser's own errors (help, usage) keep
/// their standard handling and exit codes.
func exitWithOneLine(_ error: Error) -> Never {
    if error is CleanExit || error is ExitCode || error is ValidationError || "\(type(of: error))".contains("CommandError") {
        AudioPlaneCommand.exit(withError: error)
    }
    let text = String(describing: error).replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data("audioplane: error: \(text)\n".utf8))
    Foundation.exit(1)
}
